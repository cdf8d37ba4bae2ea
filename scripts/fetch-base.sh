#!/bin/sh
# Fetch Debian's linux-source-6.12, verify it, and leave the kernel tarball
# at OUT_TARBALL, its version in OUT_TARBALL.version.
# The base is the pinned version (BASE_VERSION overrides the pin) while the
# archive serves it or CACHE_DIR holds it, else the newest 6.12.y the
# archive serves; the second line of OUT_TARBALL.version then says so.
# Both are cached by version: the .debs in CACHE_DIR, each with the SHA256
# the archive's index gave it, and the tarballs extracted from them beside
# OUT_TARBALL, which is a symbolic link to the one of the version chosen.
# Usage: scripts/fetch-base.sh CACHE_DIR OUT_TARBALL
set -eu

PKG=linux-source-6.12
PIN=${BASE_VERSION:-6.12.118-1~deb12u1}
cache=$1
out=$2

mkdir -p "$cache" "$(dirname "$out")"

served() {
	apt-cache madison "$PKG" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}'
}
deb_of() { echo "$cache/${PKG}_$(echo "$1" | sed 's/:/%3a/')_all.deb"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# Is the .deb of version $1 cached, with the SHA256 the archive's index
# gave it when it was downloaded?
cached() {
	d=$(deb_of "$1")
	[ -f "$d" ] && [ -f "$d.sha256" ] && [ "$(sha "$d")" = "$(cat "$d.sha256")" ]
}

version=$PIN
note=
index=1
if ! served | grep -qxF "$PIN"; then
	apt-get update -q >/dev/null 2>&1 || true
	if served | grep -qxF "$PIN"; then
		:
	elif cached "$PIN"; then
		note="no longer served; the cached copy, verified when downloaded"
		index=0
	else
		version=$(served | grep '^6\.12\.' | sort -V | tail -n 1)
		[ -n "$version" ] || { echo "fetch-base: no apt source serves $PKG (apt-get update?)" >&2; exit 1; }
		note="pinned $PIN is no longer served"
	fi
fi
stamp=$(printf '%s\n%s\n' "$version" "$note" | sed '/^$/d')
deb=$(deb_of "$version")
dir=$(dirname "$out")
tarball=${PKG}_$(echo "$version" | sed 's/:/%3a/').tar.xz

# A tarball extracted before they were named by version.
if [ -f "$out" ] && [ ! -L "$out" ] && [ ! -f "$dir/$tarball" ] &&
   [ "$(head -n 1 "$out.version" 2>/dev/null)" = "$version" ]; then
	mv "$out" "$dir/$tarball"
fi

if [ "$index" = 1 ] && ! { [ -f "$deb.sha256" ] && [ -f "$dir/$tarball" ]; }; then
	want=$(apt-cache show "$PKG=$version" | awk '/^SHA256:/ { print $2; exit }')
	[ -n "$want" ] || { echo "fetch-base: no SHA256 for $PKG $version in apt's index" >&2; exit 1; }
	if [ -f "$deb" ] && [ "$(sha "$deb")" != "$want" ]; then
		echo "fetch-base: cached $deb does not match the archive's SHA256; fetching again" >&2
		rm -f "$deb"
	fi
	if [ ! -f "$deb" ]; then
		echo "fetch-base: downloading $PKG $version"
		(cd "$cache" && apt-get download -q "$PKG=$version") 2>&1 |
			grep -v '^W: Download is performed unsandboxed' || true
		[ -f "$deb" ] || { echo "fetch-base: download of $PKG $version failed" >&2; exit 1; }
	fi
	if [ "$(sha "$deb")" != "$want" ]; then
		echo "fetch-base: $deb: SHA256 mismatch against the archive index" >&2
		exit 1
	fi
	echo "$want" > "$deb.sha256"
fi

tmp=$(mktemp -d "$dir/.fetch-base.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$dir/$tarball" ]; then
	# The tarball against the .deb's md5sums.
	member=usr/src/$PKG.tar.xz
	md5=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./md5sums | awk -v m="$member" '$2 == m { print $1 }')
	[ -n "$md5" ] || { echo "fetch-base: no md5sum for $member in $deb" >&2; exit 1; }
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./$member"
	got=$(md5sum "$tmp/$member" | cut -d' ' -f1)
	if [ "$got" != "$md5" ]; then
		echo "fetch-base: $member: md5 $got, package says $md5" >&2
		exit 1
	fi
	mv "$tmp/$member" "$dir/$tarball"
	echo "fetch-base: $PKG $version verified (the .deb's SHA256, md5 $md5 of $member)"
fi
if [ "$(readlink "$out" 2>/dev/null)" != "$tarball" ]; then
	ln -s "$tarball" "$tmp/link"
	mv -fT "$tmp/link" "$out"
fi
[ "$(cat "$out.version" 2>/dev/null)" = "$stamp" ] || echo "$stamp" > "$out.version"
