extension WriteBehindPolicy {
    /// How a write-through store commits the cache's expirations and evictions: batched like
    /// write-behind writes (they need no acknowledgement), never bounded (they are recorded under
    /// a shard lock and cannot wait).
    static var cacheRemovals: WriteBehindPolicy {
        WriteBehindPolicy(maxDelay: .milliseconds(20), maxBatch: 5_000, maxPending: .max)
    }
}
