#!/bin/sh
# Fetch Debian's linux-source-6.12 into a cache outside the repository,
# verify it, and leave the kernel tarball at $OUT.
# Usage: scripts/fetch-base.sh CACHE_DIR OUT_TARBALL
set -eu

PKG=linux-source-6.12
PIN=${BASE_VERSION:-6.12.117-1~deb12u1}
cache=$1
out=$2

mkdir -p "$cache" "$(dirname "$out")"

served() {
	apt-cache madison "$PKG" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}'
}

version=$PIN
if ! served | grep -qxF "$PIN"; then
	apt-get update -q >/dev/null 2>&1 || true
	if ! served | grep -qxF "$PIN"; then
		version=$(served | sort -V | tail -n 1)
		[ -n "$version" ] || { echo "fetch-base: $PKG is not served by any apt source" >&2; exit 1; }
		echo "fetch-base: WARNING: $PKG $PIN is no longer served; falling back to $version." >&2
		echo "fetch-base: WARNING: the series was made against $PIN and may not apply." >&2
	fi
fi

deb="$cache/${PKG}_$(echo "$version" | sed 's/:/%3a/')_all.deb"
want=$(apt-cache show "$PKG=$version" | awk '/^SHA256:/ { print $2; exit }')

if [ -f "$deb" ] && [ -n "$want" ] &&
   [ "$(sha256sum "$deb" | cut -d' ' -f1)" != "$want" ]; then
	echo "fetch-base: cached $deb does not match the archive's SHA256; fetching again" >&2
	rm -f "$deb"
fi
if [ ! -f "$deb" ]; then
	echo "fetch-base: downloading $PKG $version"
	(cd "$cache" && apt-get download -q "$PKG=$version" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
	[ -f "$deb" ] || { echo "fetch-base: download of $PKG $version failed" >&2; exit 1; }
fi

# The .deb against the archive index, then the tarball against the .deb.
if [ -n "$want" ] && [ "$(sha256sum "$deb" | cut -d' ' -f1)" != "$want" ]; then
	echo "fetch-base: $deb: SHA256 mismatch against the archive index" >&2
	exit 1
fi
member=usr/src/$PKG.tar.xz
md5=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./md5sums | awk -v m="$member" '$2 == m { print $1 }')
[ -n "$md5" ] || { echo "fetch-base: no md5sum for $member in $deb" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./$member"
got=$(md5sum "$tmp/$member" | cut -d' ' -f1)
if [ "$got" != "$md5" ]; then
	echo "fetch-base: $member: md5 $got, package says $md5" >&2
	exit 1
fi
mv "$tmp/$member" "$out"
echo "$version" > "$out.version"
echo "fetch-base: $PKG $version verified ($member md5 $md5)"
