#!/bin/sh
# Build every commit of base..HEAD of SRC on its own (bisectability), in a
# scratch worktree, with the lint config (test config + every touched
# driver). Prints one line per patch and "bisect: N of M patches build".
# Usage: scripts/build-each-patch.sh SRC WORKTREE OBJ
# Environment: ARCH (x86, the default, or arm64), CROSS_COMPILE.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$1" && pwd)
wt=$(mkdir -p "$(dirname "$2")" && cd "$(dirname "$2")" && pwd)/$(basename "$2")
obj=$(mkdir -p "$3" && cd "$3" && pwd)

[ -d "$wt" ] || git -C "$src" worktree add -q --detach "$wt" base
arch=${ARCH:-x86}
case $arch in arm64) image=Image ;; *) image=bzImage ;; esac
good=0
total=0
for c in $(git -C "$src" rev-list --reverse base..HEAD); do
	total=$((total + 1))
	subject=$(git -C "$src" log -1 --format=%s "$c")
	git -C "$wt" checkout -q --detach "$c"
	if CONFIG_LAX=1 "$here/configure-kernel.sh" "$wt" "$obj" "$here/../configs/base.config" \
		"$here/../configs/arch-$arch.config" "$here/../configs/test.config" "$here/../configs/lint.config" \
		"$wt/tools/testing/selftests/cma_bulk/config" >"$obj/bisect.log" 2>&1 &&
	   env -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES -u MAKELEVEL \
		make -s -C "$wt" O="$obj" CC="ccache ${CROSS_COMPILE:-}gcc" -j"$(nproc)" $image \
		>>"$obj/bisect.log" 2>&1; then
		good=$((good + 1))
		echo "bisect: ok   $total $subject"
	else
		echo "bisect: FAIL $total $subject"
		tail -n 20 "$obj/bisect.log" | sed 's/^/    /'
	fi
done
echo "bisect: $good of $total patches build"
[ "$good" = "$total" ]
