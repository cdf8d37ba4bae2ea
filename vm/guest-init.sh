#!/bin/sh
# /init of the test initramfs. Mounts the pseudo filesystems, runs the job
# named by harness.job= on the kernel command line, and powers off.
# Results go to /dev/ttyS1 or /dev/hvc0 (the host's results file) and to
# the console.
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm

job=
bench_args=
check_args=
vmem_args=
for arg in $(cat /proc/cmdline); do
	case $arg in
	harness.job=*) job=${arg#harness.job=} ;;
	harness.bench=*) bench_args=$(echo "${arg#harness.bench=}" | tr , ' ') ;;
	harness.check=*) check_args=$(echo "${arg#harness.check=}" | tr , ' ') ;;
	harness.vmem=*) vmem_args=$(echo "${arg#harness.vmem=}" | tr , ' ') ;;
	esac
done

# x86: the second serial port; arm64: a virtio console.
results=/dev/null
for dev in /dev/ttyS1 /dev/hvc0; do
	[ -c $dev ] && { results=$dev; break; }
done
say() { echo "$*" | tee -a $results; }
# The benchmark module (bench/kmod), for the bench jobs.
bench_module() {
	insmod /bench/cma_bulk_bench.ko && return
	say "harness: cannot load /bench/cma_bulk_bench.ko"
	return 1
}

say "harness: job $job start"
case $job in
check)
	# KUnit ran at boot; its report is in the kernel log. Selftests now,
	# all of them unless harness.check= names some (run_kselftest.sh's
	# arguments, comma-separated).
	# shellcheck disable=SC2086
	cd /kselftest && ./run_kselftest.sh $check_args 2>&1 | tee -a $results
	;;
bench)
	# The disk of scenario S2 (vm/make-s2-image.py), if QEMU has one.
	if [ -b /dev/vda ]; then
		mkdir -p /mnt/s2
		mount -t ext2 /dev/vda /mnt/s2 || say "harness: cannot mount the S2 disk"
	fi
	# The program, whose arguments harness.bench=ARG,ARG... holds.
	# shellcheck disable=SC2086
	bench_module && /bench/cma_bulk_bench ${bench_args:-all} | tee -a $results
	;;
benchcheck)
	# The benchmark module's tests (bench/cma_bulk_bench_test.c).
	bench_module && /bench/cma_bulk_bench_test 2>&1 | tee -a $results
	;;
vmem)
	# harness.vmem=ARG,ARG... holds virtio_mem_unplug's arguments; the
	# host (vm/vmem-run.py) answers its "vmem: ready" lines over QMP.
	# shellcheck disable=SC2086
	/bench/virtio_mem_unplug $vmem_args 2>&1 | tee -a $results
	;;
*)
	say "harness: unknown job '$job'"
	;;
esac
say "harness: job $job end"
sync
grep -q " /mnt/s2 " /proc/mounts && umount /mnt/s2
reboot -f
