/// How one kind of a store behaves as a cache: a default time to live for its entries and a bound
/// on how many it holds. Given per kind in ``StoreOptions/caches``.
///
/// Values are checked when the options are made, so a ``CacheOptions`` value is always valid.
public struct CacheOptions: Sendable, Hashable {
    /// How long an entry written with ``Expiration/kindDefault`` (every write that names no
    /// expiration) lives; `nil`: entries do not expire unless a write says so.
    public let timeToLive: Duration?
    /// The most entries the kind holds; `nil`: unbounded. An insertion into a full kind first
    /// evicts one entry chosen by ``eviction``.
    ///
    /// A store keeps each shard's share of a bound: shard *i* of *n* holds at most
    /// `capacity / n` entries, plus one when `i < capacity % n`, so the kind never holds more
    /// than `capacity` in total; an insertion evicts from its own shard when that shard's share
    /// is full. A store with bounded kinds uses at most as many shards as the smallest bound
    /// (rounded down to a power of two), so every share holds at least one entry.
    public let capacity: Int?
    /// The policy that picks the entry to evict from a bounded kind.
    public let eviction: EvictionPolicy
    /// How long `get(_:_:orLoad:)` remembers that a load found nothing (`nil`), answering `nil`
    /// again without loading; `nil` (the default): it loads again at once. Any write of the key
    /// forgets it. Each shard remembers at most as many absent keys as its share of the capacity
    /// (65,536 when unbounded), dropping expired ones first.
    public let negativeTimeToLive: Duration?

    /// Creates cache options.
    /// - Throws: ``StoreError/outOfRange(parameter:value:requirement:)`` when `timeToLive` or
    ///   `negativeTimeToLive` is not positive or `capacity` is below 1.
    public init(timeToLive: Duration? = nil, capacity: Int? = nil, eviction: EvictionPolicy = .default,
                negativeTimeToLive: Duration? = nil) throws {
        if let timeToLive {
            try RangeCheck.positive(timeToLive, "CacheOptions.timeToLive")
        }
        if let capacity {
            try RangeCheck.atLeast(1, capacity, "CacheOptions.capacity")
        }
        if let negativeTimeToLive {
            try RangeCheck.positive(negativeTimeToLive, "CacheOptions.negativeTimeToLive")
        }
        self.timeToLive = timeToLive
        self.capacity = capacity
        self.eviction = eviction
        self.negativeTimeToLive = negativeTimeToLive
    }

    /// No default time to live, no bound: the state of a kind that becomes a cache by its first
    /// write with an ``Expiration`` or its first `get(_:_:orLoad:)`.
    static var unconfigured: CacheOptions { CacheOptions() }

    private init() {
        timeToLive = nil
        capacity = nil
        eviction = .default
        negativeTimeToLive = nil
    }
}
