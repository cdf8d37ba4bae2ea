#!/usr/bin/env python3
"""Tabulate virtio-mem unplug experiments (bench/vmem-run.py results logs).

Prints one row per run and, per kernel tag and pin setting, the runs that
reached the requested size, the median time and the sums of the
alloc_contig_range() calls. A run without a guest or host result line is
listed as failed, never left out.

Usage: bench/vmem-report.py RESULTS_LOG...
"""

import re
import statistics
import sys

MIB = 1 << 20


def kv(line):
    return dict(re.findall(r"(\w+)=(\S+)", line))


def load(path):
    guest = host = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("vmem: result "):
                guest = kv(line)
            elif line.startswith("host: result "):
                host = kv(line)
    return guest, host


def main(paths):
    if not paths:
        sys.exit(__doc__)
    rows, groups, bad = [], {}, 0
    for path in sorted(paths):
        try:
            guest, host = load(path)
        except OSError as err:
            print(f"{path}: FAILED: {err.strerror}")
            bad += 1
            continue
        if not guest or not host:
            print(f"{path}: FAILED: no {'guest' if not guest else 'host'} result line")
            bad += 1
            continue
        key = (host["tag"], guest["hold_ms"], guest["gap_ms"], guest["pins_per_set"],
               guest.get("targeted", "0"))
        groups.setdefault(key, []).append((guest, host))
        rows.append((path, key, guest, host))

    hdr = ("run", "kernel", "hold ms", "asked MiB", "unplugged MiB", "device MiB left",
           "reached", "time ms (host)", "time ms (guest)", "acr calls", "acr fails",
           "of them EBUSY", "128M calls/fails", "acr ms total", "acr ms max",
           "pins in dev", "splats", "data")
    table = [hdr]
    for path, key, g, h in rows:
        left = int(h["size_after"]) - int(h["requested"])
        table.append((path.rsplit("/", 1)[-1], key[0], g["hold_ms"],
                      f"{int(g['requested_unplug']) / MIB:.0f}",
                      f"{int(g['unplugged']) / MIB:.0f}", f"{left / MIB:.0f}",
                      "yes" if h["reached"] == "1" else "NO", h["time_ms"], g["time_ms"],
                      g["acr_calls"], g["acr_fails"], g["acr_ebusy"],
                      f"{g['block_calls']}/{g['block_fails']}",
                      g["acr_total_ms"], g["acr_max_ms"], g["pins_in_device"],
                      h["splats"], "intact" if g["bad_pages"] == "0" else "CHANGED"))
    if len(table) == 1:
        return 1
    widths = [max(len(str(r[i])) for r in table) for i in range(len(hdr))]
    for r in table:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())

    print()
    print("Per kernel and pin setting: runs reaching the requested size, time to it (host; "
          "an unreached run counts as its wait), runs over 10 s (those waited for the "
          "driver's retry timer), alloc_contig_range() calls and failures")
    for key, runs in sorted(groups.items(), key=lambda kr: (kr[0][0], int(kr[0][1]), kr[0][2:])):
        times = [int(h["time_ms"]) for g, h in runs]
        reached = sum(h["reached"] == "1" for g, h in runs)
        calls = sum(int(g["acr_calls"]) for g, h in runs)
        fails = sum(int(g["acr_fails"]) for g, h in runs)
        unpl = [int(g["unplugged"]) / MIB for g, h in runs]
        splats = sum(int(h["splats"]) for g, h in runs)
        print(f"  {key[0]:<12} hold {key[1]:>4} ms gap {key[2]} ms pins {key[3]} targeted {key[4]}: "
              f"reached {reached}/{len(runs)}, time median {statistics.median(times) / 1000:.1f} s "
              f"mean {statistics.mean(times) / 1000:.1f} s max {max(times) / 1000:.1f} s, "
              f"{sum(t > 10000 for t in times)} over 10 s, "
              f"unplugged {min(unpl):.0f}-{max(unpl):.0f} MiB, "
              f"acr calls {calls}, failures {fails}, splats {splats}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
