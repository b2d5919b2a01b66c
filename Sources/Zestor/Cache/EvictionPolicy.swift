/// How a bounded kind (``CacheOptions/capacity``) chooses the entry an insertion evicts.
///
/// A hit never takes the shard's exclusive lock: under ``s3fifo`` and ``sieve`` it is a relaxed
/// atomic store of a small counter or a bit. ``lru`` is the reference the others are measured
/// against: each hit moves the entry to the front of a list, under a mutex of its own.
public enum EvictionPolicy: String, Sendable, Hashable, CaseIterable {
    /// S3-FIFO (Yang et al., SOSP '23): new entries enter a small FIFO queue (a tenth of the
    /// capacity); those read again before they reach its end move to the main queue, the others
    /// leave and are remembered in a ghost queue, so that a quick return goes straight to the main
    /// queue. One-time scans pass through the small queue without flushing the hot set.
    case s3fifo
    /// SIEVE (Zhang et al., NSDI '24): one FIFO queue and a hand that moves from the oldest entry
    /// toward the newest, sparing (and unmarking) entries read since it last passed them.
    case sieve
    /// Least recently used.
    case lru

    /// The policy of a kind that names none: S3-FIFO, chosen by the miss-ratio measurements in
    /// the README ("Caching").
    public static var `default`: EvictionPolicy { .s3fifo }
}
