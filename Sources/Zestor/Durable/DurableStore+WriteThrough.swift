/// Write-through writes: each holds its keys' gates from reading the current version until the
/// memory apply; in between it commits through the group committer, so memory, versions and
/// watchers change only after the storage did. Memory takes exactly the committed version and
/// expiry. Keys in doubt are reconciled first (``reconcileIfInDoubt(_:)``); an upsert the storage
/// left alone as stale re-reads its key (``lostRace(_:expected:)``). Called by the public writes
/// after their checks.
extension DurableStore {
    nonisolated(nonsending) func setThrough(_ kind: String, _ key: String, _ value: Value, _ expiration: Expiration,
                                            _ committer: GroupCommitter,
                                            onlyIf precondition: (() -> Bool)? = nil) async throws -> SetResult {
        let gateKey = KeyGate.Key(kind: kind, key: key)
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        if let precondition, !precondition() { return .unchanged }
        try await reconcileIfInDoubt([gateKey])
        let current = engine.versionedWithDeadline(kind, key)
        let deadline = deadline(of: expiration, in: kind)
        if let current, engine.isEquivalent(current.entry.value, value) {
            try await changeExpiryThrough(gateKey, current, to: deadline, committer)
            return .unchanged
        }
        let version = nextVersion(of: gateKey, after: current?.entry.version)
        let row = try row(gateKey, value, version: version, deadline: deadline)
        try engine.reserveUniqueKeys(kind, key, value)
        do {
            let outcome = try await commit(kind, [.upsert(row)], keys: [gateKey], committer)
            if !outcome.staleUpserts.isEmpty {
                throw await lostRace(gateKey, expected: current?.entry.version)
            }
            let applied = try engine.applyCommitted(kind, key, value, version: version, expiry: .deadline(deadline))
            coherence.record([gateKey], at: outcome.position)
            return applied
        } catch {
            engine.releaseUniqueReservation(kind, key, value)
            throw error
        }
    }

    nonisolated(nonsending) func updateThrough(_ kind: String, _ key: String, _ expiration: Expiration?,
                                               _ transform: (inout Value) throws -> Void,
                                               _ committer: GroupCommitter) async throws -> Bool {
        let gateKey = KeyGate.Key(kind: kind, key: key)
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        try await reconcileIfInDoubt([gateKey])
        let (current, changed) = try transformed(kind, key, transform)
        let deadline = expiration.map { self.deadline(of: $0, in: kind) } ?? current.deadline
        guard let value = changed else {
            try await changeExpiryThrough(gateKey, current, to: deadline, committer)
            return false
        }
        let version = current.entry.version + 1
        let row = try row(gateKey, value, version: version, deadline: deadline)
        try engine.reserveUniqueKeys(kind, key, value)
        do {
            let outcome = try await commit(kind, [.upsert(row)], keys: [gateKey], committer)
            if !outcome.staleUpserts.isEmpty {
                throw await lostRace(gateKey, expected: current.entry.version)
            }
            try engine.applyCommitted(kind, key, value, version: version, expiry: .deadline(deadline))
            coherence.record([gateKey], at: outcome.position)
            return true
        } catch {
            engine.releaseUniqueReservation(kind, key, value)
            throw error
        }
    }

    /// One transaction for every changed key (and every unchanged one whose expiry changes);
    /// upserts another store won are reported after the others are applied.
    nonisolated(nonsending) func setManyThrough(_ kind: String, _ values: [String: Value], _ expiration: Expiration,
                                                _ committer: GroupCommitter) async throws {
        let gateKeys = values.keys.sorted().map { KeyGate.Key(kind: kind, key: $0) }
        await gate.acquire(gateKeys)
        defer { gate.release(gateKeys) }
        try await reconcileIfInDoubt(gateKeys)
        let deadline = deadline(of: expiration, in: kind)
        var changed: [(key: String, value: Value, version: UInt64)] = []  // in ascending key order
        var changedKeys: [KeyGate.Key] = []
        var baseVersions: [UInt64?] = []
        var rows: [PersistedMutation] = []
        var retimed: [(key: KeyGate.Key, version: UInt64)] = []  // unchanged values whose expiry changes
        for gateKey in gateKeys {
            let value = values[gateKey.key]!
            let current = engine.versionedWithDeadline(kind, gateKey.key)
            if let current, engine.isEquivalent(current.entry.value, value) {
                if current.deadline != deadline { retimed.append((gateKey, current.entry.version)) }
                continue
            }
            let version = nextVersion(of: gateKey, after: current?.entry.version)
            changed.append((gateKey.key, value, version))
            changedKeys.append(gateKey)
            baseVersions.append(current?.entry.version)
            rows.append(.upsert(try row(gateKey, value, version: version, deadline: deadline)))
        }
        let expiresAt = instants.instant(ofDeadline: deadline)
        let mutations = rows + retimed.map {
            PersistedMutation.setExpiry(kind: kind, key: $0.key.key, version: $0.version, expiresAt: expiresAt)
        }
        if mutations.isEmpty { return }
        let reservation = try engine.reserveUniqueKeys(kind, changed.map { (key: $0.key, value: $0.value) })
        let outcome: GroupCommitter.Outcome
        do {
            outcome = try await commit(kind, mutations, keys: changedKeys + retimed.map(\.key), committer)
        } catch {
            reservation?()
            throw error
        }
        let stale = Set(outcome.staleUpserts)
        // The transaction committed every other row: memory takes those, then the lost ones are reported.
        let committed = changed.indices.filter { !stale.contains($0) }
        try engine.applyCommitted(kind, committed.map { changed[$0] }, expiry: .deadline(deadline))
        for (key, version) in retimed {
            try engine.applyDeadline(kind, key.key, version: version, deadline: deadline)
        }
        coherence.record(committed.map { changedKeys[$0] } + retimed.map(\.key), at: outcome.position)
        guard let first = stale.min() else { return }
        let error = await lostRace(changedKeys[first], expected: baseVersions[first])
        for other in stale.sorted().dropFirst() { _ = await lostRace(changedKeys[other], expected: baseVersions[other]) }
        for lost in stale { engine.releaseUniqueReservation(kind, changed[lost].key, changed[lost].value) }
        throw error
    }

    nonisolated(nonsending) func deleteThrough(_ kind: String, _ key: String, _ committer: GroupCommitter) async throws -> Value? {
        let gateKey = KeyGate.Key(kind: kind, key: key)
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        try await reconcileIfInDoubt([gateKey])
        guard engine.versionedWithDeadline(kind, key) != nil else { return nil }
        let outcome = try await commit(kind, [.delete(kind: kind, key: key)], keys: [gateKey], committer)
        let removed = try engine.deleteCommitted(kind, key)
        coherence.record([gateKey], at: outcome.position)
        return removed
    }

    /// Gives the live entry `current` of `key` (whose gate the caller holds) the monotonic
    /// `deadline`, committing the new instant first; nothing when it has that deadline already.
    nonisolated(nonsending) func changeExpiryThrough(_ key: KeyGate.Key, _ current: Current, to deadline: Int64,
                                                     _ committer: GroupCommitter) async throws {
        guard current.deadline != deadline else { return }
        let change = PersistedMutation.setExpiry(kind: key.kind, key: key.key, version: current.entry.version,
                                                 expiresAt: instants.instant(ofDeadline: deadline))
        let outcome = try await commit(key.kind, [change], keys: [key], committer)
        try engine.applyDeadline(key.kind, key.key, version: current.entry.version, deadline: deadline)
        coherence.record([key], at: outcome.position)
    }

    /// Commits `mutations` of `keys` (whose gates the caller holds) through `committer`. A commit
    /// of unknown outcome marks the keys in doubt and throws
    /// ``StoreError/commitOutcomeUnknown(kind:keys:)``; other failures are rethrown unchanged.
    func commit(_ kind: String, _ mutations: [PersistedMutation], keys: [KeyGate.Key],
                        _ committer: GroupCommitter) async throws -> GroupCommitter.Outcome {
        do {
            return try await committer.commit(mutations)
        } catch let failure as CommitOutcomeUnknown {
            throw commitInDoubt(kind, keys, failure)
        }
    }

    /// The error of a write-through write whose upsert the backend left alone: another store
    /// sharing the storage wrote the key first. Nothing of the write was applied. The key (whose
    /// gate the caller holds) is reconciled with the storage first, so memory shows the winner
    /// and `actual` carries its version (`nil`: the winner deleted the key) — a retry then
    /// succeeds. When the storage cannot be read, the key stays in doubt (its next write
    /// reconciles it) and `actual` is memory's version.
    func lostRace(_ key: KeyGate.Key, expected: UInt64?) async -> StoreError {
        do {
            try await reconcileHeld([key])
        } catch {
            logger.warning("cannot read the row that won over a write; the key stays in doubt", metadata: [
                "kind": "\(key.kind)", "key": "\(key.key)", "error": "\(error)",
            ])
            markInDoubt([key], afterCommit: false)
        }
        return .versionConflict(kind: key.kind, key: key.key, expected: expected,
                                actual: engine.versionedUnchecked(key.kind, key.key)?.version)
    }
}
