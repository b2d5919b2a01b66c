/// What one kind has done as a cache since the store opened (``CachingStore/stats(_:)``).
///
/// Counted for kinds that behave as caches: those named in ``StoreOptions/caches``, and any kind
/// from its first write with an ``Expiration`` or its first `get(_:_:orLoad:)`. Reads of other
/// kinds count nothing, so they pay nothing.
public struct CacheStats: Sendable, Hashable {
    /// Reads (`get`, `getVersioned`, `get(_:_:orLoad:)`) that found a live entry.
    public var hits: Int
    /// Reads that found none (absent or expired).
    public var misses: Int
    /// Loads by `get(_:_:orLoad:)` that returned (a value or `nil`).
    public var loads: Int
    /// Loads that threw.
    public var loadFailures: Int
    /// The time spent in loads, successful or not.
    public var loadTime: Duration
    /// Entries evicted to keep the kind within its capacity.
    public var evictions: Int
    /// Entries removed because they expired.
    public var expirations: Int

    /// Creates statistics.
    public init(hits: Int = 0, misses: Int = 0, loads: Int = 0, loadFailures: Int = 0, loadTime: Duration = .zero,
                evictions: Int = 0, expirations: Int = 0) {
        self.hits = hits
        self.misses = misses
        self.loads = loads
        self.loadFailures = loadFailures
        self.loadTime = loadTime
        self.evictions = evictions
        self.expirations = expirations
    }

    /// `hits / (hits + misses)`, or 0 before the first read.
    public var hitRatio: Double {
        hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses)
    }
}
