#!/usr/bin/env bash
# Runs the concurrency stress tests (shards, broadcast ring, watch lifecycle) and the durable layer
# (group commit, write-behind flusher, cache removals, SQLite writer thread) under Thread Sanitizer.
# Any data race reported by TSan fails the run.
# Usage: Scripts/tsan.sh [extra `swift test` arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib.sh

ensure_packages "${LIBRARY_PACKAGES[@]}"

export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
# The stress suite saturates both cores on purpose; the conformance cases bound every wait.
# Under TSan's ~10x slowdown they would starve each other, so the stress suite, the in-memory
# suites and the durable suites (whose backends load both cores too) run in separate processes.
swift test --sanitize=thread --scratch-path .build-tsan --filter 'WatchStressTests|CacheStressTests|IndexStressTests' "$@"
swift test --sanitize=thread --scratch-path .build-tsan --skip-build --filter 'MemoryStoreTests|MemoryStoreConformanceTests|EntryTableTests|EvictionPolicyModelTests|CacheTests' "$@"
swift test --sanitize=thread --scratch-path .build-tsan --skip-build --filter 'DurableStoreTests|DurableCacheStressTests|FeedRaceTests|SQLiteBackendTests|DurableStressTests|PostgresBackendTests|ChangeFeedTests|FeedGapTests' "$@"
