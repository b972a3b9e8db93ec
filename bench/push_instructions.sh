#!/bin/sh
# Instructions per walkerOS event through rudder_dest_push, network off, counted by
# valgrind's callgrind: a figure that does not depend on the machine's speed or load, so
# it can be compared across days and machines (events/s cannot).
#
#   bench/push_instructions.sh [BUILD_DIR=build] [events=20000]
#
# The workload is bench_destination's (a rename, a data map of eight fields, identity from
# user.id/user.session, an identify that is a dedup hit after the first event).  The count
# is inclusive of everything rudder_dest_push does (parse, mapping, calls, envelope, queue),
# and excludes building the event text.
set -eu
build=${1:-build}
n=${2:-20000}
exe="$build/bench/bench_destination"
[ -x "$exe" ] || { echo "$exe not built (make build)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind not found (Debian: apt-get install valgrind)" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" "$exe" "$n" >/dev/null 2>&1
total=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
        awk '/destination.c:rudder_dest_push \[/ { gsub(",", "", $1); print $1; exit }')
[ -n "$total" ] || { echo "no rudder_dest_push in the profile" >&2; exit 1; }
awk -v t="$total" -v n="$n" 'BEGIN { printf "rudder_dest_push: %.0f instructions per event (%d events, callgrind)\n", t / n, n }'
