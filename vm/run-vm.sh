#!/bin/sh
# Boot a kernel and initramfs under QEMU, run one guest job, and capture the
# serial console and the results port. Exits non-zero on timeout.
# Usage: vm/run-vm.sh KERNEL INITRD JOB CONSOLE_LOG RESULTS_LOG
# Environment: VM_ARCH (x86, the default, or arm64),
#              VM_MEM (MiB), VM_CMA (cma= value), VM_TIMEOUT (s),
#              VM_ACCEL (tcg or kvm; tcg by default), VM_APPEND (extra args),
#              VM_DISK (a raw disk image, attached as virtio-blk /dev/vda),
#              VM_DISK_WRITE_BPS (its write throttle in bytes/s, 0 for none)
set -eu

kernel=$1
initrd=$2
job=$3
console=$4
results=$5

mem=${VM_MEM:-1024}
cma=${VM_CMA:-256M}
limit=${VM_TIMEOUT:-600}
mkdir -p "$(dirname "$console")" "$(dirname "$results")"
# The console is the first serial port; results go to a second one (x86)
# or to a virtio console (arm64's virt machine has one UART).
case ${VM_ARCH:-x86} in
x86)
	qemu="qemu-system-x86_64"
	cpu=
	tty=ttyS0
	bus=pci
	ports="-serial file:$console -serial file:$results"
	;;
arm64)
	# -cpu max with the cheap pointer-authentication algorithm: TCG's
	# QARMA5 costs much of the guest's time.
	qemu="qemu-system-aarch64 -M virt"
	cpu="-cpu max,pauth-impdef=on"
	tty=ttyAMA0
	bus=device
	ports="-serial file:$console -device virtio-serial-device \
		-chardev file,id=results,path=$results -device virtconsole,chardev=results"
	;;
*) echo "run-vm: VM_ARCH must be x86 or arm64" >&2; exit 2 ;;
esac
case ${VM_ACCEL:-tcg} in
tcg) accel="-accel tcg,thread=multi $cpu" ;;
kvm) accel="-accel kvm -cpu host" ;;
*) echo "run-vm: VM_ACCEL must be tcg or kvm" >&2; exit 2 ;;
esac

disk=
if [ -n "${VM_DISK:-}" ]; then
	[ -f "$VM_DISK" ] || { echo "run-vm: no disk image $VM_DISK" >&2; exit 2; }
	throttle=
	[ "${VM_DISK_WRITE_BPS:-0}" != 0 ] && throttle=",throttling.bps-write=$VM_DISK_WRITE_BPS"
	disk="-drive if=none,id=disk0,format=raw,file=$VM_DISK$throttle -device virtio-blk-$bus,drive=disk0"
fi

append="console=$tty cma=$cma harness.job=$job panic=-1 oops=panic printk.time=0 ${VM_APPEND:-}"
: > "$console"
: > "$results"

echo "vm: booting $(basename "$kernel") for '$job' (${mem}M RAM, cma=$cma, limit ${limit}s; console: $console)"
start=$(date +%s)
rc=0
# shellcheck disable=SC2086
timeout --foreground -k 10 "$limit" $qemu $accel -smp 2 -m "$mem" \
	-display none -no-reboot -nodefaults $ports $disk \
	-kernel "$kernel" -initrd "$initrd" -append "$append" || rc=$?
echo "vm: '$job' done in $(($(date +%s) - start))s"
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "vm: TIMEOUT: no result after ${limit}s" | tee -a "$console" >&2
	exit 124
fi
exit "$rc"
