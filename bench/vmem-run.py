#!/usr/bin/env python3
"""Run one virtio-mem unplug experiment in a QEMU (TCG) guest.

Boots KERNEL and INITRD with a virtio-mem-pci device, runs the guest job
'vmem' (bench/virtio_mem_unplug, /bench in the guest, its arguments
comma-separated in --args) and answers the guest's requests on the results
port over QMP:

  vmem: ready plug BYTES     qom-set vmem0 requested-size BYTES
  vmem: ready unplug BYTES   qom-set vmem0 requested-size BYTES, then polls
                             qom-get vmem0 size until it equals BYTES

Appends to the results log one line with what the device saw:

  host: result tag=TAG requested=BYTES size_before=BYTES size_after=BYTES
        reached=0|1 time_ms=MS splats=N guest_result=0|1

time_ms is from the qom-set to the first poll that finds the plugged size
equal to the requested one (or to the end of the guest's wait if never).
Exits non-zero if the VM timed out, the guest printed no result, or the
console shows a warning, oops or other splat.

Usage: bench/vmem-run.py KERNEL INITRD CONSOLE_LOG RESULTS_LOG
       [--args A,B,...] [--tag TAG] [--timeout S]
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

# The kernel reports a run must not show: vm/splats.py, shared with make check.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "vm"))
import splats as vm_splats  # noqa: E402

MIB = 1 << 20
BOOT_MEM = "1G"
MAXMEM = "4G"
MEMDEV_SIZE = 2048 * MIB
BLOCK_SIZE = 2 * MIB


class QMP:
    """A minimal QMP client over a UNIX socket."""

    def __init__(self, path, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.file = self.sock.makefile("rw", encoding="utf-8")
        self._read()                     # the greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        line = self.file.readline()
        if not line:
            raise ConnectionError("QMP connection closed")
        return json.loads(line)

    def cmd(self, name, **args):
        self.file.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.file.flush()
        while True:
            msg = self._read()
            if "return" in msg:
                return msg["return"]
            if "error" in msg:
                raise RuntimeError(f"QMP {name}: {msg['error']}")
            # an asynchronous event: ignore

    def close(self):
        self.sock.close()


def size_arg(text):
    value = int(text)
    if value < 0 or value > MEMDEV_SIZE or value % BLOCK_SIZE:
        raise ValueError(f"bad size {value}: not a multiple of {BLOCK_SIZE} "
                         f"in [0, {MEMDEV_SIZE}]")
    return value


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kernel")
    ap.add_argument("initrd")
    ap.add_argument("console")
    ap.add_argument("results")
    ap.add_argument("--args", default="", help="guest program arguments, comma-separated")
    ap.add_argument("--tag", default="", help="name of the kernel, for the report")
    ap.add_argument("--timeout", type=int, default=900, help="limit for the whole VM run (s)")
    opt = ap.parse_args()
    if re.search(r"[\s]", opt.args) or re.search(r"[\s=]", opt.tag):
        sys.exit("vmem-run: --args and --tag must not contain spaces (and --tag no '=')")

    for path in (opt.console, opt.results):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        open(path, "w").close()
    tmp = tempfile.mkdtemp(prefix="vmem-qmp-")
    sock = os.path.join(tmp, "qmp.sock")
    append = ("console=ttyS0 harness.job=vmem panic=-1 oops=panic printk.time=0 "
              "memhp_default_state=online_movable")
    if opt.args:
        append += " harness.vmem=" + opt.args
    qemu = ["qemu-system-x86_64", "-accel", "tcg,thread=multi", "-smp", "2",
            "-m", f"{BOOT_MEM},maxmem={MAXMEM}",
            "-object", f"memory-backend-ram,id=mem0,size={MEMDEV_SIZE}",
            "-device", "virtio-mem-pci,id=vmem0,memdev=mem0,requested-size=0",
            "-display", "none", "-no-reboot", "-nodefaults",
            "-serial", f"file:{opt.console}", "-serial", f"file:{opt.results}",
            "-qmp", f"unix:{sock},server=on,wait=off",
            "-kernel", opt.kernel, "-initrd", opt.initrd, "-append", append]
    print(f"vmem: booting {os.path.basename(opt.kernel)} [{opt.tag}] with "
          f"'{opt.args}' (console: {opt.console})", flush=True)
    start = time.monotonic()
    proc = subprocess.Popen(qemu, stdin=subprocess.DEVNULL)
    qmp = None
    requested = None
    size_before = size_after = -1
    t_set = t_reached = None
    guest_result = False
    timed_out = False
    seen = 0
    try:
        qmp = QMP(sock, 30)
        while proc.poll() is None:
            if time.monotonic() - start > opt.timeout:
                timed_out = True
                break
            with open(opt.results, "rb") as f:
                f.seek(seen)
                data = f.read()
            # Only whole lines; keep a partial one for the next round.
            done = data.rfind(b"\n") + 1
            seen += done
            for line in data[:done].decode("utf-8", errors="replace").splitlines():
                m = re.match(r"vmem: ready (plug|unplug) (\d+)\s*$", line)
                if m:
                    value = size_arg(m.group(2))
                    if m.group(1) == "unplug":
                        size_before = qmp.cmd("qom-get", path="vmem0", property="size")
                        requested = value
                        t_set = time.monotonic()
                        t_reached = None
                    qmp.cmd("qom-set", path="vmem0", property="requested-size",
                            value=value)
                    print(f"vmem: {line.strip()}: requested-size set", flush=True)
                elif line.startswith("vmem: result"):
                    guest_result = True
                    if t_set is not None and t_reached is None:
                        t_reached = -(time.monotonic() - t_set)
            if t_set is not None and not guest_result:
                size_after = qmp.cmd("qom-get", path="vmem0", property="size")
                if t_reached is None and size_after == requested:
                    t_reached = time.monotonic() - t_set
            time.sleep(0.1)
    except (OSError, ConnectionError, RuntimeError, ValueError) as err:
        print(f"vmem: error: {err}", file=sys.stderr)
    finally:
        if proc.poll() is None and not timed_out and qmp:
            # The guest powers off after its job; give it the time to.
            try:
                proc.wait(timeout=max(1, opt.timeout - (time.monotonic() - start)))
            except subprocess.TimeoutExpired:
                timed_out = True
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if qmp:
            qmp.close()
        shutil.rmtree(tmp, ignore_errors=True)

    with open(opt.console, encoding="utf-8", errors="replace") as f:
        splats = [line.rstrip() for line in f if vm_splats.kind(line)]
    with open(opt.results, encoding="utf-8", errors="replace") as f:
        results = f.read()
    job_end = "harness: job vmem end" in results
    reached = t_reached is not None and t_reached >= 0
    time_ms = round(abs(t_reached) * 1000) if t_reached is not None else -1
    line = (f"host: result tag={opt.tag or '-'} requested={requested if requested is not None else -1} "
            f"size_before={size_before} size_after={size_after} reached={int(reached)} "
            f"time_ms={time_ms} splats={len(splats)} guest_result={int(guest_result)}")
    with open(opt.results, "a", encoding="utf-8") as f:
        f.write(line + "\n")
    print(line)
    print(f"vmem: done in {time.monotonic() - start:.0f}s", flush=True)
    for s in splats[:20]:
        print(f"vmem: console: {s}", file=sys.stderr)
    if timed_out:
        print(f"vmem: TIMEOUT after {opt.timeout}s", file=sys.stderr)
        return 124
    if not guest_result or not job_end or splats or "vmem: error" in results:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
