#!/bin/sh
# Pack the guest: static busybox, /init, the guest scripts, the installed
# kselftests and, if given, the benchmark's files (bench/: its module and
# programs, as the Makefile builds them) in /bench, with the kernel's own
# usr/gen_initramfs.sh.
# Usage: vm/build-initramfs.sh BUSYBOX SRC OBJ KSELFTEST_INSTALL_DIR OUT [BENCH_DIR]
# BUSYBOX is a static busybox for the guest's architecture.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
busybox=$1
src=$(cd "$2" && pwd)
obj=$(cd "$3" && pwd)
kst=$4
out=$(cd "$(dirname "$5")" && pwd)/$(basename "$5")
bench=${6:-}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/sbin" "$stage/usr/bin" "$stage/usr/sbin" \
	"$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/kselftest"
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
cp "$here/guest-init.sh" "$stage/init"
cp "$here/guest-timeout.sh" "$stage/usr/bin/timeout"
[ -d "$kst" ] && cp -a "$kst/." "$stage/kselftest/"
if [ -n "$bench" ]; then
	mkdir -p "$stage/bench"
	cp -a "$bench/." "$stage/bench/"
fi

cat > "$stage.list" <<LIST
nod /dev/console 0600 0 0 c 5 1
nod /dev/ttyS0 0600 0 0 c 4 64
nod /dev/ttyS1 0600 0 0 c 4 65
LIST
(cd "$obj" && sh "$src/usr/gen_initramfs.sh" -o "$out.tmp" -u squash -g squash \
	"$stage" "$stage.list")
rm -f "$stage.list"
mv "$out.tmp" "$out"
