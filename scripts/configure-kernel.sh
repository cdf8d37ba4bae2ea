#!/bin/sh
# Generate OBJ/.config: tinyconfig, then the fragments merged in order with
# the kernel's merge_config.sh. Fails if a requested value did not survive
# (a missing dependency or a symbol the series does not define), unless
# CONFIG_LAX=1.
# Usage: scripts/configure-kernel.sh SRC OBJ fragment...
set -eu

src=$(cd "$1" && pwd)
mkdir -p "$2"
obj=$(cd "$2" && pwd)
shift 2

frags=
for f in "$@"; do
	[ -f "$f" ] && frags="$frags $(cd "$(dirname "$f")" && pwd)/$(basename "$f")"
done

new=$obj/.config.new
make -s -C "$src" O="$obj" KCONFIG_CONFIG=.config.new tinyconfig >/dev/null
mkdir -p "$obj/.merge"
# shellcheck disable=SC2086
(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$obj/.merge" "$new" $frags) >/dev/null
mv "$obj/.merge/.config" "$new"
rmdir "$obj/.merge"
make -s -C "$src" O="$obj" KCONFIG_CONFIG=.config.new olddefconfig

bad=0
# shellcheck disable=SC2086
sed -n 's/^\(CONFIG_[A-Za-z0-9_]*=.*\)$/\1/p' $frags > "$obj/.config.want"
while IFS= read -r line; do
	sym=${line%%=*}
	val=${line#*=}
	if [ "$val" = n ]; then
		grep -q "^$sym=" "$new" || continue
	else
		grep -qxF "$line" "$new" && continue
	fi
	echo "configure: $sym: asked for $val, got: $(grep "^$sym=\|^# $sym is not set" "$new" || echo 'unset (missing dependency or unknown symbol)')" >&2
	bad=1
done < "$obj/.config.want"
rm -f "$obj/.config.want"
# Building early patches of the series, symbols of later ones are missing.
[ "$bad" = 0 ] || [ "${CONFIG_LAX:-0}" = 1 ] || exit 1

if cmp -s "$new" "$obj/.config"; then
	rm -f "$new"
else
	mv "$new" "$obj/.config"
	echo "configure: $obj/.config updated"
fi
