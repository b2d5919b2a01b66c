#!/usr/bin/env bash
# Builds the release tool and runs `zestor bench` twice: with the system allocator and with
# jemalloc (LD_PRELOAD; the library itself never depends on jemalloc). Extra arguments are
# passed to `zestor bench`, e.g. Scripts/bench.sh --duration 1 --workload get_hit,set_update
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib.sh

ensure_packages "${LIBRARY_PACKAGES[@]}" libjemalloc-dev

swift build -c release --product zestor
zestor=".build/release/zestor"

jemalloc="$(find /usr/lib /usr/lib64 -name 'libjemalloc.so.2' 2>/dev/null | head -n 1)"
if [ -z "$jemalloc" ]; then
    echo "libjemalloc.so.2 not found after installing libjemalloc-dev" >&2
    exit 1
fi

echo "== system allocator (glibc malloc)"
"$zestor" bench "$@"
echo
echo "== jemalloc ($jemalloc)"
LD_PRELOAD="$jemalloc" "$zestor" bench "$@"
