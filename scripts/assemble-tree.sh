#!/bin/sh
# Assemble build/src: a git repository holding the pristine Debian source
# (tag "debian"), the mainline fixes the series needs in PATCH_DIR/prereq
# on top of it (tag "base", the base the series applies to), and the
# series in PATCH_DIR applied on top by git am -3. A prerequisite the
# Debian source already holds is skipped. A patch that needed the
# three-way merge is named; the merge needs the blobs the patch's index
# lines name, which a Debian source of another version than the one the
# series was made on lacks for the files that differ between the two.
# Usage: scripts/assemble-tree.sh TARBALL SRC PATCH_DIR
# TARBALL.version (from fetch-base.sh) holds the tarball's version and,
# on a second line, why it is not the pinned one. SRC is assembled again
# when its Debian source is another version.
# FORCE=1 discards commits and changes in SRC that are not in PATCH_DIR;
# KEEP_WORK=1 leaves such a SRC alone (with a warning) instead of failing.
set -eu

tarball=$1
src=$2
patchdir=$(cd "$3" && pwd)
PKG=linux-source-6.12

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log

tar_version=$(head -n 1 "$tarball.version" 2>/dev/null || true)
tar_note=$(sed -n 2p "$tarball.version" 2>/dev/null || true)

patch_id() { git patch-id --stable | cut -d' ' -f1 | sort; }
series_ids() { cat "$patchdir"/*.patch 2>/dev/null | patch_id; }
# A commit that git am -3 merged has another patch-id than its patch file:
# SRC's git directory maps the one to the other.
merged_map() { echo "$(git -C "$src" rev-parse --absolute-git-dir)/merged-patch-ids"; }
# The patch-ids of the commits in range $1, as their patch files have them.
commit_ids() {
	git -C "$src" format-patch --stdout "$1" | git patch-id --stable | cut -d' ' -f1 |
		awk -v map="$(merged_map)" '
			BEGIN { while ((getline l < map) > 0) { split(l, f, " "); id[f[1]] = f[2] } }
			{ print ($1 in id) ? id[$1] : $1 }' | sort
}
tree_ids() { commit_ids base..HEAD; }

# The version of the Debian source in SRC, from the subject of "debian".
tree_version() {
	git -C "$src" log -1 --format=%s debian 2>/dev/null |
		sed -n "s/^base: Debian $PKG \([0-9][^ ]*\)\$/\1/p"
}
# Is SRC's Debian source the tarball's version (when both are known)?
same_version() {
	v=$(tree_version)
	[ -z "$v" ] || [ -z "$tar_version" ] || [ "$v" = "$tar_version" ]
}

# Does the Debian source hold the change of patch $1 already?
in_debian() {
	if GIT_INDEX_FILE=$tmp/index git -C "$src" read-tree debian &&
	   GIT_INDEX_FILE=$tmp/index git -C "$src" apply --cached --check -R "$1" 2>/dev/null; then
		return 0
	fi
	return 1
}

# Does the tree's base hold exactly the prerequisites, each either
# applied in debian..base or already in the Debian source?
base_ok() {
	git -C "$src" rev-parse -q --verify debian >/dev/null || return 1
	same_version || return 1
	commit_ids debian..base > "$tmp/applied"
	for p in "$patchdir"/prereq/*.patch; do
		[ -e "$p" ] || continue
		patch_id < "$p" > "$tmp/id"
		if grep -qxFf "$tmp/id" "$tmp/applied"; then
			grep -vxFf "$tmp/id" "$tmp/applied" > "$tmp/rest" || true
			mv "$tmp/rest" "$tmp/applied"
		elif ! in_debian "$p"; then
			return 1
		fi
	done
	[ ! -s "$tmp/applied" ]
}

say_base() {
	v=$(tree_version)
	if [ "$v" = "$tar_version" ]; then
		echo "tree: base $PKG $v${tar_note:+ ($tar_note)}"
	else
		echo "tree: base $PKG ${v:-of unknown version} (kept: the base fetched is $tar_version)"
	fi
}

# git am -3 patch $1 onto SRC; names it, and maps its patch-id, when it
# needed the three-way merge.
am3() {
	direct=1
	git -C "$src" apply --check "$1" 2>/dev/null || direct=0
	git -C "$src" am -q -3 --keep-cr "$1" >"$log" 2>&1 || return 1
	[ "$direct" = 1 ] && return 0
	echo "$(git -C "$src" format-patch --stdout -1 HEAD | git patch-id --stable | cut -d' ' -f1)" \
		"$(git patch-id --stable < "$1" | cut -d' ' -f1)" >> "$(merged_map)"
	echo "tree: $(basename "$1") applied by three-way merge"
}

# What git am said about the patch it could not apply, without its hints
# on resuming (the am is aborted).
am_errors() {
	grep -v '^hint:\|^When you have\|^If you prefer\|^To restore' "$log" | sed 's/^/    /' | head -n 20 >&2
}

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
	dirty=$(GIT_OPTIONAL_LOCKS=0 git -C "$src" status --porcelain --untracked-files=no)
	# A rebase, merge or cherry-pick in progress is work too.
	gitdir=$(git -C "$src" rev-parse --absolute-git-dir)
	for op in rebase-merge:rebase rebase-apply/rebasing:rebase MERGE_HEAD:merge \
		CHERRY_PICK_HEAD:cherry-pick REVERT_HEAD:revert; do
		if [ -e "$gitdir/${op%%:*}" ]; then
			dirty="${dirty:+$dirty
}a ${op#*:} is in progress"
		fi
	done
	series_ids > "$tmp/series"
	if base_ok && [ -z "$dirty" ] && [ "$(tree_ids)" = "$(cat "$tmp/series")" ]; then
		say_base
		echo "tree: $src already holds the series"
		exit 0
	fi
	# Commits of build/src that patches/ does not hold, and changes.
	unexported=$(tree_ids | comm -23 - "$tmp/series")
	if [ "${FORCE:-0}" != 1 ] && [ -n "$dirty$unexported" ] && [ "${KEEP_WORK:-0}" = 1 ]; then
		say_base
		echo "tree: WARNING: $src has work that is not in patches/; using it as it is." >&2
		echo "tree: WARNING: only patches/ lands: commit, 'make export', then test again." >&2
		exit 0
	fi
	if [ "${FORCE:-0}" != 1 ] && [ -n "$dirty$unexported" ]; then
		say_base
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
	echo "tree: unpacking $(basename "$tarball") ($PKG ${tar_version:-of unknown version}) into $src"
	rm -rf "$src"
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1
	git -C "$src" init -q -b main
	identity
	git -C "$src" add -A -f
	git -C "$src" commit -q -m "base: Debian $PKG $tar_version" ${tar_note:+-m "$tar_note"}
	git -C "$src" tag debian
	unhide_new_files
	for p in "$patchdir"/prereq/*.patch; do
		[ -e "$p" ] || continue
		am3 "$p" && continue
		git -C "$src" am --abort >/dev/null 2>&1 || true
		if git -C "$src" apply --check -R "$p" 2>/dev/null; then
			echo "tree: prerequisite $(basename "$p") is already in the base; skipped"
			continue
		fi
		echo "tree: prerequisite $(basename "$p") does not apply:" >&2
		am_errors
		[ -z "$tar_note" ] || echo "tree: it was made for another $PKG than $tar_version ($tar_note)" >&2
		exit 1
	done
	git -C "$src" tag base
fi
identity
unhide_new_files

say_base
for p in "$patchdir"/*.patch; do
	[ -e "$p" ] || continue
	name=$(basename "$p")
	case $name in 0000-cover-letter.patch) continue ;; esac
	if ! am3 "$p"; then
		git -C "$src" am --abort >/dev/null 2>&1 || true
		echo "tree: patch $name does not apply, even by three-way merge; $src is left at the patch before it:" >&2
		am_errors
		[ -z "$tar_note" ] || echo "tree: the series does not apply to $PKG $tar_version ($tar_note): rebase it onto that version" >&2
		exit 1
	fi
done
echo "tree: $src at $(git -C "$src" rev-list --count base..HEAD) patches on base"
