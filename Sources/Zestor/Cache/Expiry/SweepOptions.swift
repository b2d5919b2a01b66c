/// How often a store's background sweeper removes expired entries (``StoreOptions/sweep``).
///
/// Expired entries are invisible to every read from the instant they expire; the sweeper only
/// frees their memory and publishes their `.delete` events, so the interval bounds how late a
/// watcher hears of an expiry. Each pass costs in proportion to what expired, not to the size of
/// the store, and holds a shard's lock for at most ``batchSize`` removals at a time.
public struct SweepOptions: Sendable, Hashable {
    /// The pause between two passes (default one second).
    public let interval: Duration
    /// The most removals a pass makes under one shard lock before letting writers in (default 256).
    public let batchSize: Int

    /// Creates sweep options.
    /// - Throws: ``StoreError/outOfRange(parameter:value:requirement:)`` when `interval` is not
    ///   positive or `batchSize` is below 1.
    public init(interval: Duration = .seconds(1), batchSize: Int = 256) throws {
        try RangeCheck.positive(interval, "SweepOptions.interval")
        try RangeCheck.atLeast(1, batchSize, "SweepOptions.batchSize")
        self.interval = interval
        self.batchSize = batchSize
    }

    /// One pass a second, 256 removals per lock.
    public static var `default`: SweepOptions { SweepOptions(uncheckedInterval: .seconds(1), batchSize: 256) }

    private init(uncheckedInterval interval: Duration, batchSize: Int) {
        self.interval = interval
        self.batchSize = batchSize
    }
}
