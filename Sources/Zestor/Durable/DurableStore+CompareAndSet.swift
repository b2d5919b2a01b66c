/// Compare-and-set and compare-and-delete (``VersionedStore``).
///
/// - **write-through**: the version is checked twice — against memory under the key's gate (a
///   mismatch throws at once, without a commit), then by the storage in the commit itself
///   (``PersistedMutation/compareAndSet(_:expectedVersion:)``): when another store sharing the
///   SQLite file or the PostgreSQL namespace changed the key first, the commit writes nothing,
///   the key is re-read so memory shows the winner, and the call throws
///   ``StoreError/versionConflict(kind:key:expected:actual:)`` with the winner's version. Of
///   stores racing on one key at one version exactly one wins. An equivalent value commits an
///   expiry change conditional on the version, so a stale expected version fails there too.
/// - **write-behind**: the check is against this store's memory, like every other write-behind
///   write: two replicas may both succeed at the same version; the flusher then finds the later
///   commit stale and the losing replica re-reads the key (its acknowledged write is lost). Use
///   write-through where compare-and-set must arbitrate between processes.
extension DurableStore: VersionedStore {
    /// Stores `value` only if the key's current version is `expectedVersion` (`nil`: the key must
    /// be absent), with the kind's default expiry; returns the version stored.
    @discardableResult
    nonisolated(nonsending) public func compareAndSet(_ kind: String, _ key: String, _ value: Value,
                                                      expectedVersion: UInt64?) async throws -> UInt64 {
        try await compareAndSet(kind, key, value, expectedVersion: expectedVersion, expiration: .kindDefault)
    }

    /// `compareAndSet` giving the entry `expiration` when it succeeds. An expired entry counts as
    /// absent.
    @discardableResult
    nonisolated(nonsending) public func compareAndSet(_ kind: String, _ key: String, _ value: Value,
                                                      expectedVersion: UInt64?,
                                                      expiration: Expiration) async throws -> UInt64 {
        try engine.check(expiration)
        try engine.validate(kind, value)
        return try await withWriteGate(kind, key) { gateKey in
            switch writePath {
            case .writeThrough(let committer):
                return try await compareAndSetThrough(gateKey, value, expectedVersion, expiration, committer)
            case .writeBehind(let queue):
                return try compareAndSetBehind(gateKey, value, expectedVersion, expiration, queue)
            }
        }
    }

    /// Removes the entry only if its current version is `expectedVersion` and returns the value it
    /// held.
    @discardableResult
    nonisolated(nonsending) public func compareAndDelete(_ kind: String, _ key: String,
                                                         expectedVersion: UInt64) async throws -> Value {
        try await withWriteGate(kind, key) { gateKey in
            switch writePath {
            case .writeThrough(let committer):
                return try await compareAndDeleteThrough(gateKey, expectedVersion, committer)
            case .writeBehind(let queue):
                return try compareAndDeleteBehind(gateKey, expectedVersion, queue)
            }
        }
    }

    /// Runs `body` as a write of `kind`/`key`: registered with the store (``beginWrite(_:)``),
    /// after waiting for space in the write-behind queue, holding the key's gate.
    private nonisolated(nonsending) func withWriteGate<Result>(
        _ kind: String, _ key: String, _ body: (KeyGate.Key) async throws -> Result
    ) async throws -> Result {
        try beginWrite(kind)
        defer { endWrite() }
        let gateKey = KeyGate.Key(kind: kind, key: key)
        if let queue = writePath.queue { await queue.waitForSpace() }
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        return try await body(gateKey)
    }

    // MARK: - Write-through (the caller holds the key's gate)

    private func compareAndSetThrough(_ key: KeyGate.Key, _ value: Value, _ expected: UInt64?,
                                      _ expiration: Expiration, _ committer: GroupCommitter) async throws -> UInt64 {
        try await reconcileIfInDoubt([key])
        let current = try current(of: key, expecting: expected)
        let deadline = deadline(of: expiration, in: key.kind)
        let expiresAt = instants.instant(ofDeadline: deadline)
        if let current, engine.isEquivalent(current.entry.value, value) {
            // Nothing to store, but the storage must still be at the expected version.
            let change = PersistedMutation.setExpiry(kind: key.kind, key: key.key, version: current.entry.version,
                                                     expiresAt: expiresAt)
            let outcome = try await commit(key.kind, [change], keys: [key], committer)
            if !outcome.unchanged.isEmpty { throw await lostRace(key, expected: expected) }
            try engine.applyDeadline(key.kind, key.key, version: current.entry.version, deadline: deadline)
            coherence.record([key], at: outcome.position)
            return current.entry.version
        }
        let version = nextVersion(of: key, after: current?.entry.version)
        var mutations: [PersistedMutation] = []
        if current == nil, let removed = cacheRemovals.outstandingWrite(of: key)?.removedVersion {
            // The row of the entry the cache removed may still be stored: it goes first.
            mutations.append(.deleteUnlessNewer(kind: key.kind, key: key.key, version: removed))
        }
        mutations.append(.compareAndSet(try row(key, value, version: version, deadline: deadline),
                                        expectedVersion: expected))
        try engine.reserveUniqueKeys(key.kind, key.key, value)
        do {
            let outcome = try await commit(key.kind, mutations, keys: [key], committer)
            if outcome.staleUpserts.contains(mutations.count - 1) { throw await lostRace(key, expected: expected) }
            try engine.applyCommitted(key.kind, key.key, value, version: version, expiry: .deadline(deadline))
            coherence.record([key], at: outcome.position)
            return version
        } catch {
            engine.releaseUniqueReservation(key.kind, key.key, value)
            throw error
        }
    }

    private func compareAndDeleteThrough(_ key: KeyGate.Key, _ expected: UInt64,
                                         _ committer: GroupCommitter) async throws -> Value {
        try await reconcileIfInDoubt([key])
        let current = try current(of: key, expecting: expected)
        let outcome = try await commit(key.kind, [.compareAndDelete(kind: key.kind, key: key.key, version: expected)],
                                       keys: [key], committer)
        if !outcome.unchanged.isEmpty { throw await lostRace(key, expected: expected) }
        // The cache may have expired or evicted the entry meanwhile (removals take no gate).
        try engine.deleteCommitted(key.kind, key.key)
        coherence.record([key], at: outcome.position)
        return current!.entry.value
    }

    // MARK: - Write-behind (the caller holds the key's gate)

    private func compareAndSetBehind(_ key: KeyGate.Key, _ value: Value, _ expected: UInt64?,
                                     _ expiration: Expiration, _ queue: WriteBehindQueue<Value>) throws -> UInt64 {
        let current = try current(of: key, expecting: expected)
        let deadline = deadline(of: expiration, in: key.kind)
        if let current, engine.isEquivalent(current.entry.value, value) {
            try changeExpiryBehind(key, current, to: deadline, queue)
            return current.entry.version
        }
        let version = nextVersion(of: key, after: current?.entry.version)
        try engine.reserveUniqueKeys(key.kind, key.key, value)
        do {
            try engine.applyCommitted(key.kind, key.key, value, version: version, expiry: .deadline(deadline)) {
                queue.record(key, .upsert(value), version: version, expiresAt: instants.instant(ofDeadline: deadline))
            }
        } catch {
            engine.releaseUniqueReservation(key.kind, key.key, value)
            throw error
        }
        return version
    }

    private func compareAndDeleteBehind(_ key: KeyGate.Key, _ expected: UInt64,
                                        _ queue: WriteBehindQueue<Value>) throws -> Value {
        let current = try current(of: key, expecting: expected)
        // The cache may have expired or evicted the entry meanwhile (removals take no gate); the
        // delete is recorded either way.
        try engine.deleteCommitted(key.kind, key.key) {
            queue.record(key, .delete, version: expected + 1)
        }
        return current!.entry.value
    }

    /// The key's live entry (its gate held by the caller), checked against the version a
    /// compare-and-set expects; throws ``StoreError/versionConflict(kind:key:expected:actual:)``
    /// when memory shows another.
    private func current(of key: KeyGate.Key, expecting expected: UInt64?) throws -> Current? {
        let current = engine.versionedWithDeadline(key.kind, key.key)
        guard current?.entry.version == expected else {
            throw StoreError.versionConflict(kind: key.kind, key: key.key, expected: expected,
                                             actual: current?.entry.version)
        }
        return current
    }
}
