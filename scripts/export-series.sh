#!/bin/sh
# Write build/src's base..HEAD back into patches/ with git format-patch,
# removing patch files that are no longer part of the series.
# Usage: scripts/export-series.sh SRC PATCH_DIR
# SUBJECT_PREFIX is the subjects' prefix, "PATCH v3" for this posting.
set -eu

src=$1
patchdir=$2

if [ -n "$(git -C "$src" status --porcelain --untracked-files=no)" ]; then
	echo "export: $src has uncommitted changes; commit them first" >&2
	exit 1
fi
mkdir -p "$patchdir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A cover letter, if the series has one, keeps its subject and text and
# gets a fresh shortlog and diffstat.
cover=
[ -f "$patchdir/0000-cover-letter.patch" ] && cover=--cover-letter
git -C "$src" format-patch -q --no-signature --zero-commit \
	--subject-prefix="${SUBJECT_PREFIX:-PATCH v3}" --numbered $cover -o "$tmp" base..HEAD
[ -n "$cover" ] && "$(dirname "$0")/refresh-cover-letter.py" \
	"$patchdir/0000-cover-letter.patch" "$tmp/0000-cover-letter.patch"
rm -f "$patchdir"/*.patch
cp "$tmp"/*.patch "$patchdir"/ 2>/dev/null || true
n=0
for p in "$tmp"/*.patch; do
	case $(basename "$p") in 0000-* | '*.patch') ;; *) n=$((n + 1)) ;; esac
done
echo "export: $n patches written to $patchdir"
