/// Write-through writes: each holds its keys' gates from reading the current version until the
/// memory apply; in between it commits through the group committer, so memory, versions and
/// watchers change only after the storage did. Keys in doubt are reconciled first
/// (``reconcileIfInDoubt(_:)``); an upsert the storage left alone as stale re-reads its key
/// (``lostRace(_:expected:)``). Called by the public writes after their checks.
extension DurableStore {
    nonisolated(nonsending) func setThrough(_ kind: String, _ key: String, _ value: Value, _ committer: GroupCommitter) async throws -> SetResult {
        let gateKey = KeyGate.Key(kind: kind, key: key)
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        try await reconcileIfInDoubt([gateKey])
        let current = engine.versionedUnchecked(kind, key)
        if let current, engine.isEquivalent(current.value, value) { return .unchanged }
        let row = PersistedRow(kind: kind, key: key, value: try codec.encode(value), version: (current?.version ?? 0) + 1)
        let outcome = try await commit(kind, [.upsert(row)], keys: [gateKey], committer)
        if !outcome.staleUpserts.isEmpty {
            throw await lostRace(gateKey, expected: current?.version)
        }
        let applied = try engine.applyCommitted(kind, key, value).result
        coherence.record([gateKey], at: outcome.position)
        return applied
    }

    nonisolated(nonsending) func updateThrough(_ kind: String, _ key: String, _ transform: (inout Value) throws -> Void,
                       _ committer: GroupCommitter) async throws -> Bool {
        let gateKey = KeyGate.Key(kind: kind, key: key)
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        try await reconcileIfInDoubt([gateKey])
        guard let (current, value) = try transformed(kind, key, transform) else { return false }
        let row = PersistedRow(kind: kind, key: key, value: try codec.encode(value), version: current.version + 1)
        let outcome = try await commit(kind, [.upsert(row)], keys: [gateKey], committer)
        if !outcome.staleUpserts.isEmpty {
            throw await lostRace(gateKey, expected: current.version)
        }
        try engine.applyCommitted(kind, key, value)
        coherence.record([gateKey], at: outcome.position)
        return true
    }

    /// One transaction for every changed key; upserts another store won are reported after the
    /// others are applied.
    nonisolated(nonsending) func setManyThrough(_ kind: String, _ values: [String: Value], _ committer: GroupCommitter) async throws {
        let gateKeys = values.keys.sorted().map { KeyGate.Key(kind: kind, key: $0) }
        await gate.acquire(gateKeys)
        defer { gate.release(gateKeys) }
        try await reconcileIfInDoubt(gateKeys)
        var changed: [(key: String, value: Value)] = []  // in ascending key order, like `gateKeys`
        var baseVersions: [UInt64?] = []
        var rows: [PersistedMutation] = []
        for gateKey in gateKeys {
            let value = values[gateKey.key]!
            let current = engine.versionedUnchecked(kind, gateKey.key)
            if let current, engine.isEquivalent(current.value, value) { continue }
            changed.append((gateKey.key, value))
            baseVersions.append(current?.version)
            rows.append(.upsert(PersistedRow(kind: kind, key: gateKey.key, value: try codec.encode(value),
                                             version: (current?.version ?? 0) + 1)))
        }
        if changed.isEmpty { return }
        let changedKeys = changed.map { KeyGate.Key(kind: kind, key: $0.key) }
        let outcome = try await commit(kind, rows, keys: changedKeys, committer)
        let stale = Set(outcome.staleUpserts)
        // The transaction committed every other row: memory takes those, then the lost ones are reported.
        let committed = changed.indices.filter { !stale.contains($0) }
        try engine.applyCommitted(kind, committed.map { changed[$0] })
        coherence.record(committed.map { changedKeys[$0] }, at: outcome.position)
        guard let first = stale.min() else { return }
        let error = await lostRace(changedKeys[first], expected: baseVersions[first])
        for other in stale.sorted().dropFirst() { _ = await lostRace(changedKeys[other], expected: baseVersions[other]) }
        throw error
    }

    nonisolated(nonsending) func deleteThrough(_ kind: String, _ key: String, _ committer: GroupCommitter) async throws -> Value? {
        let gateKey = KeyGate.Key(kind: kind, key: key)
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        try await reconcileIfInDoubt([gateKey])
        guard engine.versionedUnchecked(kind, key) != nil else { return nil }
        let outcome = try await commit(kind, [.delete(kind: kind, key: key)], keys: [gateKey], committer)
        let removed = try engine.deleteCommitted(kind, key)
        coherence.record([gateKey], at: outcome.position)
        return removed
    }

    /// Commits `mutations` of `keys` (whose gates the caller holds) through `committer`. A commit
    /// of unknown outcome marks the keys in doubt and throws
    /// ``StoreError/commitOutcomeUnknown(kind:keys:)``; other failures are rethrown unchanged.
    private func commit(_ kind: String, _ mutations: [PersistedMutation], keys: [KeyGate.Key],
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
    private func lostRace(_ key: KeyGate.Key, expected: UInt64?) async -> StoreError {
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
