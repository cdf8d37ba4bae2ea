#!/bin/sh
# Lint the series: checkpatch --strict on every patch, a maintainer for
# every added file, kernel-doc on every touched C file, and W=1 builds of
# the touched kernel objects for x86-64 and, cross-compiled, for arm64
# (in LINT_OBJ-x86 and LINT_OBJ-arm64).
# Usage: scripts/lint.sh SRC PATCH_DIR LINT_OBJ
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$1" && pwd)
patchdir=$(cd "$2" && pwd)
obj=$3
problems=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

note() { problems=$((problems + $1)); }

for p in "$patchdir"/*.patch; do
	[ -e "$p" ] || continue
	case $(basename "$p") in 0000-cover-letter.patch) continue ;; esac
	# FILE_PATH_CHANGES asks whether MAINTAINERS needs updating for every
	# added file; the check below answers it for the whole series instead.
	"$src/scripts/checkpatch.pl" --strict --no-tree -q --ignore FILE_PATH_CHANGES \
		--root="$src" "$p" >"$log" 2>&1
	n=$(grep -cE '^(ERROR|WARNING|CHECK):' "$log")
	if [ "$n" -gt 0 ]; then
		echo "lint: checkpatch: $(basename "$p"): $n"
		sed 's/^/    /' "$log"
	fi
	note "$n"
done

# Every file the series adds must have a maintainer (an M: line).
for f in $(git -C "$src" diff --name-only --diff-filter=A base..HEAD); do
	m=$(cd "$src" && scripts/get_maintainer.pl --no-git --no-git-fallback --no-r --no-l \
		--no-s --no-rolestats -f "$f" 2>/dev/null)
	if [ -z "$m" ]; then
		echo "lint: MAINTAINERS: no maintainer for $f"
		note 1
	fi
done

files=$(git -C "$src" diff --name-only --diff-filter=AM base..HEAD -- '*.c' '*.h')
# Only warnings the series adds count: compare with the base version,
# ignoring line numbers.
kdoc() { "$src/scripts/kernel-doc" -none -Wall "$1" 2>&1 | sed 's/^[^:]*:[0-9]*: //' | sort; }
for f in $files; do
	old=$(mktemp)
	git -C "$src" show "base:$f" >"$old.c" 2>/dev/null || : >"$old.c"
	kdoc "$old.c" >"$old"
	kdoc "$src/$f" | comm -23 - "$old" >"$log"
	rm -f "$old" "$old.c"
	n=$(grep -c . "$log")
	if [ "$n" -gt 0 ]; then
		echo "lint: kernel-doc: $f: $n"
		sed 's/^/    /' "$log"
	fi
	note "$n"
done

objs=
for f in $files; do
	case $f in
	tools/* | Documentation/* | *.h) ;;
	*.c) objs="$objs ${f%.c}.o" ;;
	esac
done
w1() { # ARCH CROSS_COMPILE: configure and W=1-build $objs
	ARCH="$1" CROSS_COMPILE="$2" \
		"$here/configure-kernel.sh" "$src" "$obj-$1" "$here/../configs/base.config" \
		"$here/../configs/arch-$1.config" "$here/../configs/test.config" \
		"$here/../configs/lint.config" \
		"$src/tools/testing/selftests/cma_bulk/config" >"$log" 2>&1 || {
		echo "lint: $1 configuration failed"
		sed 's/^/    /' "$log"
		note 1
		return
	}
	# shellcheck disable=SC2086
	env -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES -u MAKELEVEL \
		make -s -C "$src" O="$obj-$1" ARCH="$1" CROSS_COMPILE="$2" \
		CC="ccache ${2}gcc" -j"$(nproc)" W=1 $objs >"$log" 2>&1
	rc=$?
	n=$(grep -cE 'warning:|error:' "$log")
	[ "$rc" != 0 ] && [ "$n" = 0 ] && n=1
	if [ "$n" -gt 0 ]; then
		echo "lint: $1 W=1 build of$objs: $n"
		sed 's/^/    /' "$log"
	fi
	note "$n"
}

if [ -n "$objs" ]; then
	w1 x86 ""
	w1 arm64 aarch64-linux-gnu-
fi

echo "lint: $problems problems"
[ "$problems" = 0 ]
