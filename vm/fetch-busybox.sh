#!/bin/sh
# Download Debian's busybox-static for a foreign architecture and extract
# its static busybox for the guest. The package is downloaded, not
# installed: it would conflict with the host's busybox-static. apt needs
# the architecture enabled (dpkg --add-architecture) to see its index.
# Usage: vm/fetch-busybox.sh DEB_ARCH OUT
set -eu

arch=$1
out=$2
pkg=busybox-static

if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1; then
	sudo=sudo
else
	sudo=false
fi
if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
	echo "fetch-busybox: enabling the $arch architecture in dpkg for apt's index"
	$sudo dpkg --add-architecture "$arch" ||
		{ echo "fetch-busybox: need root or sudo to add $arch" >&2; exit 1; }
fi
if [ -z "$(apt-cache show "$pkg:$arch" 2>/dev/null | head -n 1)" ]; then
	$sudo apt-get update -qq
fi
version=$(apt-cache show "$pkg:$arch" | awk '/^Version:/ { print $2; exit }')
want=$(apt-cache show "$pkg:$arch" | awk '/^SHA256:/ { print $2; exit }')
[ -n "$version" ] && [ -n "$want" ] ||
	{ echo "fetch-busybox: no $pkg for $arch in the apt sources" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-busybox: downloading $pkg:$arch $version"
(cd "$tmp" && apt-get download -q "$pkg:$arch=$version" 2>&1 |
	grep -v '^W: Download is performed unsandboxed' || true)
deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "fetch-busybox: download of $pkg:$arch failed" >&2; exit 1; }
[ "$(sha256sum "$deb" | cut -d' ' -f1)" = "$want" ] ||
	{ echo "fetch-busybox: $deb: SHA256 mismatch against the archive index" >&2; exit 1; }
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./bin/busybox
mkdir -p "$(dirname "$out")"
mv "$tmp/bin/busybox" "$out"
echo "fetch-busybox: $out"
