#!/bin/sh
# Assemble build/src: a git repository holding the pristine Debian source
# (tag "debian"), the mainline fixes the series needs in PATCH_DIR/prereq
# on top of it (tag "base", the base the series applies to), and the
# series in PATCH_DIR applied on top by git am.
# Usage: scripts/assemble-tree.sh TARBALL SRC PATCH_DIR
# FORCE=1 discards commits and changes in SRC that are not in PATCH_DIR;
# KEEP_WORK=1 leaves such a SRC alone (with a warning) instead of failing.
set -eu

tarball=$1
src=$2
patchdir=$(cd "$3" && pwd)

series_ids() { cat "$patchdir"/*.patch 2>/dev/null | git patch-id --stable | cut -d' ' -f1 | sort; }
prereq_ids() { cat "$patchdir"/prereq/*.patch 2>/dev/null | git patch-id --stable | cut -d' ' -f1 | sort; }
# Does the tree's base hold exactly the prerequisites?
base_ok() {
	git -C "$src" rev-parse -q --verify debian >/dev/null &&
	[ "$(git -C "$src" format-patch --stdout debian..base | git patch-id --stable |
		cut -d' ' -f1 | sort)" = "$(prereq_ids)" ]
}
tree_ids() { git -C "$src" format-patch --stdout base..HEAD | git patch-id --stable | cut -d' ' -f1 | sort; }

identity() {
	git -C "$src" config user.name >/dev/null 2>&1 && return
	name=$(git config user.name 2>/dev/null || echo "cma_bulk maintainers")
	email=$(git config user.email 2>/dev/null || echo "cma-bulk@maintainers.invalid")
	git -C "$src" config user.name "$name"
	git -C "$src" config user.email "$email"
}

# Debian's .gitignore ignores every top-level path, which hides new files
# from "git add". Drop that block from the working copy only.
unhide_new_files() {
	git -C "$src" update-index --skip-worktree .gitignore
	git -C "$src" show debian:.gitignore | sed '/^# Debian packaging/,/^!\/debian\/$/d' |
		sed '$ { /^#$/d }' > "$src/.gitignore"
}

if [ -d "$src/.git" ] && git -C "$src" rev-parse -q --verify base >/dev/null; then
	dirty=$(git -C "$src" status --porcelain --untracked-files=no)
	series_file=$(mktemp)
	trap 'rm -f "$series_file"' EXIT
	series_ids > "$series_file"
	if base_ok && [ -z "$dirty" ] && [ "$(tree_ids)" = "$(cat "$series_file")" ]; then
		echo "tree: $src already holds the series"
		exit 0
	fi
	# Commits of build/src that patches/ does not hold, and changes.
	unexported=$(tree_ids | comm -23 - "$series_file")
	if [ "${FORCE:-0}" != 1 ] && [ -n "$dirty$unexported" ] && [ "${KEEP_WORK:-0}" = 1 ]; then
		echo "tree: WARNING: $src has work that is not in patches/; using it as it is." >&2
		echo "tree: WARNING: only patches/ lands: commit, 'make export', then test again." >&2
		exit 0
	fi
	if [ "${FORCE:-0}" != 1 ] && [ -n "$dirty$unexported" ]; then
		echo "tree: $src has work that is not in patches/:" >&2
		[ -n "$dirty" ] && echo "$dirty" | head -n 20 >&2
		[ -n "$unexported" ] && echo "$(echo "$unexported" | wc -l) commit(s) in base..HEAD not in patches/" >&2
		echo "tree: refusing to discard it. Commit and 'make export' it, or run 'make tree FORCE=1'." >&2
		exit 1
	fi
	git -C "$src" am --abort >/dev/null 2>&1 || true
fi
if [ -d "$src/.git" ] && base_ok; then
	git -C "$src" checkout -q -f -B main base
else
	echo "tree: unpacking $(basename "$tarball") into $src"
	rm -rf "$src"
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1
	git -C "$src" init -q -b main
	identity
	git -C "$src" add -A -f
	git -C "$src" commit -q -m "base: Debian linux-source-6.12 $(cat "$tarball.version" 2>/dev/null)"
	git -C "$src" tag debian
	unhide_new_files
	for p in "$patchdir"/prereq/*.patch; do
		[ -e "$p" ] || continue
		if ! git -C "$src" am -q --keep-cr "$p" >/dev/null 2>&1; then
			echo "tree: prerequisite $(basename "$p") does not apply" >&2
			exit 1
		fi
	done
	git -C "$src" tag base
fi
identity
unhide_new_files

for p in "$patchdir"/*.patch; do
	[ -e "$p" ] || continue
	case $(basename "$p") in 0000-cover-letter.patch) continue ;; esac
	if ! git -C "$src" am -q --keep-cr "$p" >/dev/null 2>&1; then
		git -C "$src" am --abort >/dev/null 2>&1 || true
		echo "tree: patch $(basename "$p") does not apply; $src is left at the patch before it" >&2
		exit 1
	fi
done
echo "tree: $src at $(git -C "$src" rev-list --count base..HEAD) patches on base"
