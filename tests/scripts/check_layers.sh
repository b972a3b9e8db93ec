#!/bin/sh
# The rule of core/src's layout (README "Layout"): a subsystem includes only subsystems
# below it in the flow, never one above.  Order, lowest first:
#   base < json < conf < wire < persistence < client < destination
# Fails naming each include that breaks it.
#
#   tests/scripts/check_layers.sh [CORE_SRC_DIR]
set -eu
src=${1:-$(dirname "$0")/../../core/src}
order="base json conf wire persistence client destination"
rank() { i=0; for l in $order; do [ "$l" = "$1" ] && { echo $i; return; }; i=$((i + 1)); done; echo -1; }
bad=0
for dir in $order; do
    [ -d "$src/$dir" ] || { echo "core/src/$dir: missing" >&2; bad=1; continue; }
    mine=$(rank "$dir")
    for f in $(find "$src/$dir" -name '*.[ch]' | sort); do
        for target in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z_]*\)\/.*".*/\1/p' "$f"); do
            theirs=$(rank "$target")
            if [ "$theirs" -lt 0 ]; then
                echo "${f#"$src"/}: includes from $target/, which is not a subsystem" >&2; bad=1
            elif [ "$theirs" -gt "$mine" ]; then
                echo "${f#"$src"/}: $dir/ includes $target/, which is above it in the flow" >&2; bad=1
            fi
        done
    done
done
stray=$(find "$src" -maxdepth 1 -name '*.[ch]')
if [ -n "$stray" ]; then echo "files outside a subsystem folder: $stray" >&2; bad=1; fi
if [ "$bad" -ne 0 ]; then echo "layers: FAILED" >&2; exit 1; fi
echo "layers: every include in core/src goes down the flow ($order)"
