#!/usr/bin/env bash
# Instructions per operation of MemoryStore's get_hit and set_update, on a plain kind, a bounded
# kind and a kind with a time to live, counted by valgrind's callgrind (repeatable on a noisy VM,
# unlike timings). Compare two commits by running it on each.
# Usage: Scripts/callgrind.sh [ops [workload...]]   (default 200000, every workload)
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
workloads=("${@:2}")
[ ${#workloads[@]} -gt 0 ] || workloads=(get_hit set_update get_hit_bounded set_update_bounded get_hit_ttl set_update_ttl get_hit_async get_or_load_hit)
for workload in "${workloads[@]}"; do
    base="$(count "$workload" 0)"
    total="$(count "$workload" "$ops")"
    awk -v w="$workload" -v b="$base" -v t="$total" -v n="$ops" \
        'BEGIN { printf "%s %.1f instructions/op\n", w, (t - b) / n }'
done
