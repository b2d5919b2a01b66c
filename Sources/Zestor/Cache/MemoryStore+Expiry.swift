/// Expiry on the engine: resolving a write's ``Expiration``, reading and changing an entry's,
/// and sweeping what expired.
extension MemoryStore {
    /// Throws ``StoreError/outOfRange(parameter:value:requirement:)`` for `.after` a duration that
    /// is not positive. First step of every write given an expiration, so a bad one stores nothing.
    @inlinable @inline(__always)
    func check(_ expiration: Expiration) throws {
        if case .after(let duration) = expiration { try checkTimeToLive(duration) }
    }

    @usableFromInline
    func checkTimeToLive(_ duration: Duration) throws {
        try RangeCheck.positive(duration, "Expiration.after")
    }

    /// The deadline a write with `expiration` gives its entry in `table`. A deadline for a kind
    /// that is not a cache yet makes it one (and starts the sweeper). Reads the clock only when
    /// the result is a deadline. Caller holds the table's shard lock exclusively.
    @inlinable @inline(__always)
    func resolve(_ expiration: Expiration, in table: inout KindTable<Value>) -> ExpiryChange {
        switch expiration {
        case .kindDefault:
            guard let cache = table.cache, cache.defaultTimeToLive != 0 else { return .never }
            return .deadline(clock.monotonicNanoseconds &+ cache.defaultTimeToLive)
        case .never:
            return .never
        case .after(let duration):
            if table.cache == nil { makeCache(&table) }
            return .deadline(clock.monotonicNanoseconds &+ Int64(duration.inNanoseconds))
        }
    }

    /// Makes `table`'s kind a cache in this shard: unbounded, without a default time to live.
    @usableFromInline
    func makeCache(_ table: inout KindTable<Value>) {
        table.cache = KindCache(options: .unconfigured, share: .max, clock: clock, removals: cacheRemovals)
        startSweeperIfNeeded()
    }

    /// Starts the expiry sweeper unless it runs already. It holds the store weakly and stops
    /// when the store is closed or gone.
    func startSweeperIfNeeded() {
        if sweeperStarted.load(ordering: .acquiring) { return }
        sweeper.withLock { sweeper in
            guard sweeper == nil else { return }
            let started = ExpirySweeper(interval: sweepOptions.interval) { [weak self] in
                guard let self, !self.isClosed else { return false }
                _ = try? self.removeExpired()
                return true
            }
            started.start()
            sweeper = started
            sweeperStarted.store(true, ordering: .releasing)
        }
    }

    /// When the entry under `kind`/`key` expires: ``Expiration/never``, ``Expiration/after(_:)``
    /// the time it has left, or `nil` when there is no live entry.
    public func expiration(_ kind: String, _ key: String) throws -> Expiration? {
        try checkUsable()
        let entryKey = EntryKey(key: key)
        let shard = shard(for: entryKey.hash)
        shard.lockShared()
        defer { shard.unlock() }
        guard let index = shard.index(of: kind),
              let (_, node) = shard.tables[index].entries.slotAndNode(of: entryKey) else { return nil }
        guard node != 0, let cache = shard.tables[index].cache else { return .never }
        let deadline = cache.deadline(of: node)
        if deadline == 0 { return .never }
        let left = deadline - clock.monotonicNanoseconds
        return left > 0 ? .after(.nanoseconds(left)) : nil
    }

    /// Changes when the entry under `kind`/`key` expires without rewriting its value (no event,
    /// same version). Returns false when there is no live entry.
    @discardableResult
    public func setExpiration(_ kind: String, _ key: String, _ expiration: Expiration) throws -> Bool {
        try checkWritable(kind)
        try check(expiration)
        let entryKey = EntryKey(key: key)
        return try mutate(kind, entryKey) { table in
            guard let slot = table.liveSlot(of: entryKey) else { return false }
            let change = resolve(expiration, in: &table)
            if table.cache != nil { table.applyExpiry(change, to: entryKey, atSlot: slot) }
            return true
        }
    }

    /// Removes every entry that has expired now, with its `.delete` event (cause
    /// ``EventCause/expired``), holding each shard's lock for at most ``SweepOptions/batchSize``
    /// removals at a time; returns how many it removed. The background sweeper calls it every
    /// ``SweepOptions/interval``; call it to sweep at once (e.g. after advancing a
    /// ``ManualExpiryClock``). Reads never return expired entries, swept or not.
    @discardableResult
    public func removeExpired() throws -> Int {
        try checkUsable()
        var removed = 0
        for shard in shards {
            while hasExpiredEntries(shard) {
                shard.lockExclusive()
                if isClosed { shard.unlock(); throw StoreError.closed }
                let now = clock.monotonicNanoseconds
                var budget = sweepOptions.batchSize
                for index in shard.tables.indices where budget > 0 && shard.tables[index].cache != nil {
                    let swept = shard.tables[index].sweepExpired(at: now, limit: budget)
                    budget -= swept
                    removed += swept
                }
                shard.unlock()
            }
        }
        return removed
    }

    /// Whether any cache table of `shard` holds an entry expired now (shared lock).
    private func hasExpiredEntries(_ shard: Shard<Value>) -> Bool {
        shard.lockShared()
        defer { shard.unlock() }
        var now: Int64?
        for index in shard.tables.indices {
            guard let cache = shard.tables[index].cache, !cache.heap.isEmpty else { continue }
            if now == nil { now = clock.monotonicNanoseconds }
            if cache.firstExpired(at: now!) != nil { return true }
        }
        return false
    }
}
