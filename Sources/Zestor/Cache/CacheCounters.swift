public import Synchronization

/// The statistics of one kind in one shard (``CacheStats`` sums them over the shards).
///
/// Atomics, because hits and misses are counted by readers that hold the shard's lock only
/// shared. Each shard's counters are a separate object padded to two cache lines, so readers on
/// different shards never write the same line.
@usableFromInline
final class CacheCounters: Sendable {
    @usableFromInline let hits = Atomic<Int>(0)
    @usableFromInline let misses = Atomic<Int>(0)
    @usableFromInline let loads = Atomic<Int>(0)
    @usableFromInline let loadFailures = Atomic<Int>(0)
    @usableFromInline let loadNanoseconds = Atomic<Int>(0)
    @usableFromInline let evictions = Atomic<Int>(0)
    @usableFromInline let expirations = Atomic<Int>(0)
    // Padding, never read: with the object header and the seven counters above, 128 bytes.
    private let padding: (Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0)

    @usableFromInline
    init() {}

    /// Adds these counters to `stats`.
    @inlinable
    func add(to stats: inout CacheStats) {
        stats.hits += hits.load(ordering: .relaxed)
        stats.misses += misses.load(ordering: .relaxed)
        stats.loads += loads.load(ordering: .relaxed)
        stats.loadFailures += loadFailures.load(ordering: .relaxed)
        stats.loadTime += .nanoseconds(loadNanoseconds.load(ordering: .relaxed))
        stats.evictions += evictions.load(ordering: .relaxed)
        stats.expirations += expirations.load(ordering: .relaxed)
    }
}
