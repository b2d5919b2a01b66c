/// `DurableStore` as a ``CachingStore``: writes with an ``Expiration``, reading and changing an
/// entry's expiry, sweeping, loading and statistics — the engine's cache behaviour with every
/// change persisted.
///
/// What the storage sees, and who deletes what:
/// - a write stores its row with the expiry instant (``PersistedRow/expiresAt``); changing only
///   the expiry (`setExpiration`, or a write of an unchanged value that gives a new one) stores
///   the new instant on the row at its version (``PersistedMutation/setExpiry(kind:key:version:expiresAt:)``);
/// - the cache's own removals — an entry found expired by the sweeper, a read-then-write or a
///   write, an entry evicted from a full kind — are persisted by the store that made them, as
///   deletes of the row unless it is newer than the removed entry
///   (``PersistedMutation/deleteUnlessNewer(kind:key:version:)``), batched (and in write-behind
///   mode coalesced with the key's writes) by a background flusher; ``flush()`` waits for them;
/// - a row whose instant passed while no store held it is deleted by the next store that opens
///   (it is not loaded);
/// - stores sharing a PostgreSQL namespace each sweep and evict in their own memory, and apply
///   each other's deletes from the change feed: every replica converges on the storage, which
///   holds what no replica has removed. A write of a key whose removal is not durable yet
///   continues its version above the removed entry's, so it replaces the stored row either way.
extension DurableStore: CachingStore {
    /// Stores `value` expiring as `expiration` says (replacing the entry's expiry, also when the
    /// value is unchanged); see ``MemoryStore/set(_:_:_:expiration:)``.
    @discardableResult
    nonisolated(nonsending) public func set(_ kind: String, _ key: String, _ value: Value,
                                            expiration: Expiration) async throws -> SetResult {
        try beginWrite(kind)
        defer { endWrite() }
        try engine.check(expiration)
        try engine.validate(kind, value)
        switch writePath {
        case .writeThrough(let committer): return try await setThrough(kind, key, value, expiration, committer)
        case .writeBehind(let queue): return try await setBehind(kind, key, value, expiration, queue)
        }
    }

    /// `update` that also gives the entry `expiration` when it is non-nil (nil keeps its expiry).
    @discardableResult
    nonisolated(nonsending) public func update(_ kind: String, _ key: String, expiration: Expiration?,
                                               _ transform: (inout Value) throws -> Void) async throws -> Bool {
        try beginWrite(kind)
        defer { endWrite() }
        if let expiration { try engine.check(expiration) }
        switch writePath {
        case .writeThrough(let committer): return try await updateThrough(kind, key, expiration, transform, committer)
        case .writeBehind(let queue): return try await updateBehind(kind, key, expiration, transform, queue)
        }
    }

    /// `setMany` giving every key written (changed or not) `expiration`.
    nonisolated(nonsending) public func setMany(_ kind: String, _ values: [String: Value],
                                                expiration: Expiration) async throws {
        try beginWrite(kind)
        defer { endWrite() }
        try engine.check(expiration)
        if values.isEmpty { return }
        for value in values.values { try engine.validate(kind, value) }
        switch writePath {
        case .writeThrough(let committer): try await setManyThrough(kind, values, expiration, committer)
        case .writeBehind(let queue): try await setManyBehind(kind, values, expiration, queue)
        }
    }

    /// When the live entry under `kind`/`key` expires, or nil when there is none.
    public func expiration(_ kind: String, _ key: String) throws -> Expiration? {
        try checkOpen()
        return try engine.expiration(kind, key)
    }

    /// Changes when the live entry expires without rewriting it (no event, same version), in
    /// memory and storage; returns false when there is none.
    @discardableResult
    nonisolated(nonsending) public func setExpiration(_ kind: String, _ key: String,
                                                      _ expiration: Expiration) async throws -> Bool {
        try beginWrite(kind)
        defer { endWrite() }
        try engine.check(expiration)
        let gateKey = KeyGate.Key(kind: kind, key: key)
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        guard let current = engine.versionedWithDeadline(kind, key) else { return false }
        let deadline = deadline(of: expiration, in: kind)
        switch writePath {
        case .writeThrough(let committer): try await changeExpiryThrough(gateKey, current, to: deadline, committer)
        case .writeBehind(let queue): try changeExpiryBehind(gateKey, current, to: deadline, queue)
        }
        return true
    }

    /// Removes every entry expired now (each with its `.delete` event, each persisted as a delete
    /// by the background flusher) and returns how many.
    @discardableResult
    public func removeExpired() throws -> Int {
        try checkOpen()
        return try engine.removeExpired()
    }

    /// The live value under `kind`/`key`, or on a miss the value `load` returns, stored (and
    /// persisted, in the store's write mode) with the kind's time to live before it is returned.
    /// One load per missing key however many callers wait; a write of the key during the load
    /// wins; a failed commit of the loaded value goes to every waiter. See
    /// ``MemoryStore/get(_:_:orLoad:)``.
    nonisolated(nonsending) public func get(_ kind: String, _ key: String,
                                            orLoad load: @escaping @Sendable (String) async throws -> Value?) async throws -> Value? {
        try Task.checkCancellation()
        if kind.isEmpty { throw StoreError.kindRequired }
        try checkOpen()
        let entryKey = EntryKey(key: key)
        if let entry = engine.read(kind, entryKey) { return entry.value }
        return try await engine.loadMissing(kind, entryKey, load, storing: { [self] value, flight in
            try await storeLoaded(kind, key, value, flight)
        })
    }

    /// What `kind` has done as a cache.
    public func stats(_ kind: String) throws -> CacheStats {
        try checkOpen()
        return try engine.stats(kind)
    }

    /// Stores a value `flight` loaded, with the kind's time to live, unless a write of the key
    /// abandoned the load (checked under the key's gate, which every write holds).
    private func storeLoaded(_ kind: String, _ key: String, _ value: Value, _ flight: InFlightLoad<Value>) async throws {
        try beginWrite(kind)
        defer { endWrite() }
        let stillLoading = { [engine] in engine.loadIsCurrent(kind, key, flight) }
        switch writePath {
        case .writeThrough(let committer):
            _ = try await setThrough(kind, key, value, .kindDefault, committer, onlyIf: stillLoading)
        case .writeBehind(let queue):
            _ = try await setBehind(kind, key, value, .kindDefault, queue, onlyIf: stillLoading)
        }
    }
}
