/// Per-kind cache statistics.
extension MemoryStore {
    /// What `kind` has done as a cache (``CacheStats``), summed over the shards. The counters
    /// are read one shard at a time, so under concurrent use the sum is not one point in time.
    /// A kind that is not a cache reports zeros.
    public func stats(_ kind: String) throws -> CacheStats {
        try checkUsable()
        var stats = CacheStats()
        for shard in shards {
            shard.lockShared()
            if let index = shard.index(of: kind), let cache = shard.tables[index].cache {
                cache.counters.add(to: &stats)
            }
            shard.unlock()
        }
        return stats
    }
}
