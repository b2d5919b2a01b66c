public import Synchronization

/// The sharded in-memory engine: a ``Store`` whose operations complete synchronously.
///
/// Entries live in `shardCount` lock stripes; the stripe of a key is chosen from the top bits of
/// the hash of the key alone (not the kind: see ``EntryKey/hash(of:)``), computed once per
/// operation. Each stripe is a ``Shard`` guarded by its own
/// `pthread_rwlock_t`. Operations that span stripes (snapshots, `setMany`, `watch`, `close`)
/// lock the stripes they need in ascending index order.
///
/// Every operation is also available synchronously (no `await`); the synchronous methods
/// satisfy the `async` requirements of ``Store``. Transforms and validators run while the key's
/// stripe is locked and must not call back into the store; list filters run outside any lock.
public final class MemoryStore<Value: Sendable>: Store {
    @usableFromInline let shards: ShardBuffer<Value>
    @usableFromInline let changeDetector: ChangeDetector<Value>
    @usableFromInline let validators: [String: @Sendable (Value) throws -> Void]
    /// Set under every shard lock by ``close()``; writers re-check it under their shard's lock.
    @usableFromInline let closedFlag = Atomic<Bool>(false)
    /// Watch bookkeeping. Lock order: `watchRegistry` first, then shard locks.
    let watchRegistry = Locked(WatchRegistry<Value>())
    /// The kinds configured as caches (``StoreOptions/caches``).
    let cacheOptions: [String: CacheOptions]
    /// The time source of expiry; read only for kinds and entries that expire.
    @usableFromInline let clock: any ExpiryClock
    let sweepOptions: SweepOptions
    /// The expiry sweeper, once started (by the first kind with expiring entries). Lock order:
    /// shard locks, then this one.
    let sweeper = Locked<ExpirySweeper?>(nil)
    /// Whether ``sweeper`` is set: lets writers skip its lock once it is.
    let sweeperStarted = Atomic<Bool>(false)
    /// Told of the cache's expirations and evictions (``CacheRemovalSink``): set by the
    /// `DurableStore` that owns this engine, nil otherwise.
    @usableFromInline let cacheRemovals: CacheRemovalSink?
    /// The number of unique indexes of all kinds: lets `DurableStore`'s writes skip reserving
    /// unique keys (and a shard lock) while there is none. Changed under every shard lock.
    let uniqueIndexCount = Atomic<Int>(0)

    /// Creates an empty store.
    /// - Parameters:
    ///   - options: change detection and per-kind validators. When `isEquivalent` is nil and
    ///     `Value` is `Equatable`, writes equal (`==`) to the stored value are skipped.
    ///   - shardCount: a sizing hint, like `Dictionary(minimumCapacity:)`: the number of lock
    ///     stripes is the least power of two not below it (1 for any count up to 1), at most
    ///     ``maximumShardCount``. Being a
    ///     hint, it has no range to violate, unlike the options that throw
    ///     ``StoreError/outOfRange(parameter:value:requirement:)``.
    ///     A store with bounded kinds (``CacheOptions/capacity``) uses at most as many stripes as
    ///     the smallest bound, rounded down to a power of two, so that each stripe's share of
    ///     every bound holds at least one entry.
    public convenience init(options: StoreOptions<Value> = .init(), shardCount: Int = 32) {
        self.init(options: options, shardCount: shardCount, cacheRemovals: nil)
    }

    /// The engine of a `DurableStore`: `cacheRemovals` hears of every expiration and eviction.
    init(options: StoreOptions<Value>, shardCount: Int = 32, cacheRemovals: CacheRemovalSink?) {
        let smallestBound = options.caches.values.compactMap(\.capacity).min() ?? .max
        var count = 1
        while count < min(shardCount, Self.maximumShardCount) && count * 2 <= smallestBound { count <<= 1 }
        shards = ShardBuffer(count: count)
        changeDetector = ChangeDetector(options.isEquivalent)
        validators = options.validators
        cacheOptions = options.caches
        clock = options.clock
        sweepOptions = options.sweep
        self.cacheRemovals = cacheRemovals
        for (index, shard) in shards.enumerated() {
            for (kind, cache) in options.caches {
                let share = cache.capacity.map { $0 / count + (index < $0 % count ? 1 : 0) } ?? .max
                shard.tables[shard.appendTable(for: kind)].cache = KindCache(options: cache, share: share, clock: clock,
                                                                          removals: cacheRemovals)
            }
        }
        if options.caches.values.contains(where: { $0.timeToLive != nil }) { startSweeperIfNeeded() }
    }

    deinit {
        sweeper.withLock { $0?.stop() }
    }

    /// The number of lock stripes.
    public var shardCount: Int { shards.count }

    /// The most lock stripes a store has (65,536): far more than cores, and each costs 128 bytes.
    public static var maximumShardCount: Int { 1 << 16 }

    // MARK: - Shared helpers

    /// The shard owning a key whose hash (``EntryKey/hash(of:)``, of the key alone) is `hash`:
    /// the top bits pick the stripe, leaving the low bits (the ones the tables use) independent of it.
    @inlinable @inline(__always)
    func shard(for hash: Int) -> Shard<Value> {
        shards[shards.index(for: hash)]
    }


    @inlinable @inline(__always)
    var isClosed: Bool { closedFlag.load(ordering: .relaxed) }

    /// Throws if the calling task is cancelled or the store is closed. First step of every operation.
    @inlinable @inline(__always)
    func checkUsable() throws {
        try Task.checkCancellation()
        if isClosed { throw StoreError.closed }
    }

    /// ``checkUsable()`` plus the non-empty kind that writes and watches require.
    @inlinable @inline(__always)
    func checkWritable(_ kind: String) throws {
        try Task.checkCancellation()
        if kind.isEmpty { throw StoreError.kindRequired }
        if isClosed { throw StoreError.closed }
    }

    @inlinable @inline(__always)
    func isEquivalent(_ stored: Value, _ new: Value) -> Bool {
        changeDetector.isEquivalent(stored, new)
    }

    /// Runs the kind's validator, if any. Its error is rethrown unchanged.
    @inlinable @inline(__always)
    func validate(_ kind: String, _ value: Value) throws {
        if validators.isEmpty { return }
        try validators[kind]?(value)
    }

    /// Locks every shard in ascending order, shared or exclusive. Pair with ``unlockAll()``.
    @inlinable
    func lockAll(exclusive: Bool) {
        for shard in shards {
            if exclusive { shard.lockExclusive() } else { shard.lockShared() }
        }
    }

    @inlinable
    func unlockAll() {
        for shard in shards.reversed() { shard.unlock() }
    }

    // MARK: - Close

    /// Closes the store: ends every watch (after the events already published) and releases the
    /// entries. Idempotent; afterwards every other operation throws ``StoreError/closed``.
    /// Like every operation, throws `CancellationError` first when the calling task is cancelled.
    public func close() throws {
        try Task.checkCancellation()
        let hubs = watchRegistry.withLock { registry -> [WatchHub<Value>] in
            guard !isClosed else { return [] }
            lockAll(exclusive: true)
            closedFlag.store(true, ordering: .relaxed)
            for shard in shards { shard.removeAll() }
            unlockAll()
            sweeper.withLock { $0?.stop() }
            let hubs = registry.hubs.values.map(\.hub)
            registry.hubs = [:]
            return hubs
        }
        for hub in hubs { hub.close() }
    }
}
