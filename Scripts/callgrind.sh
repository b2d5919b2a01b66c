#!/usr/bin/env bash
# Instructions per operation of MemoryStore's get_hit and set_update, counted by valgrind's
# callgrind (repeatable on a noisy VM, unlike timings). Compare two commits by running it on each.
# Usage: Scripts/callgrind.sh [ops]   (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib.sh
ensure_packages valgrind
ops="${1:-200000}"
(cd Benchmarks/Callgrind && swift build -c release >&2)
driver="Benchmarks/Callgrind/.build/release/CallgrindDriver"
count() {  # workload ops -> instructions
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$driver" "$1" "$2" 2>&1 >/dev/null \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
for workload in get_hit set_update; do
    base="$(count "$workload" 0)"
    total="$(count "$workload" "$ops")"
    awk -v w="$workload" -v b="$base" -v t="$total" -v n="$ops" \
        'BEGIN { printf "%s %.1f instructions/op\n", w, (t - b) / n }'
done
