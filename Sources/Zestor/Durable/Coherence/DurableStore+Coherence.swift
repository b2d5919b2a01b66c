import Foundation
import Logging

/// How a ``DurableStore``'s memory converges on its storage: the change feed (other processes'
/// commits), reconciling keys whose memory may differ (commits of unknown outcome, upserts
/// another store won), and resynchronizing after a gap in the feed. Every memory change made
/// here holds the key's gate, like a local write, and publishes the usual events.
extension DurableStore {
    /// Follows the backend's change feed, applying each change to memory — and so to local
    /// watchers — in commit order under its key's gate (``apply(_:)``), and each gap by a
    /// resynchronization. Ends when the feed ends (the backend closed) or the store is closed.
    func follow(_ feed: AsyncStream<FeedBatch>) {
        Task.detached { [self] in
            for await batch in feed {
                do {
                    switch batch {
                    case .changes(let changes, let through):
                        for change in changes { try await apply(change) }
                        coherence.feedReached(through)
                    case .resynchronize(let snapshot, let missedAfter):
                        try await resynchronize(snapshot, missedAfter: missedAfter)
                    }
                } catch {
                    return  // closed
                }
            }
        }
    }

    /// Applies one change of another process, unless memory already shows a commit of the key at
    /// or after it (this store wrote or reconciled the key later):
    /// - an upsert, unless memory holds a greater version (a write-behind write not committed
    ///   yet, which the database will keep or report stale) or the same version and value;
    /// - a delete removes the local entry.
    /// Rows the codec cannot decode are logged and skipped.
    private func apply(_ change: FeedChange) async throws {
        let mutation = change.mutation
        let gateKey = KeyGate.Key(kind: mutation.kind, key: mutation.key)
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        // A write of the key this store has not committed yet — read before the positions, which
        // the flusher records before the write stops being outstanding — may supersede the change.
        if let outstanding = cacheRemovals.outstandingWrite(of: gateKey) {
            switch outstanding.change {
            case .upsert, .delete:
                // A write not sent yet commits after this change (already committed), so it lands
                // on top; if the storage finds it stale, the key is reconciled
                // (``reconcileLost(_:)``). A write already sent may have committed before this
                // change: settle it, and the positions below decide.
                guard cacheRemovals.writeIsOnlyInFlight(gateKey) else { return }
                await cacheRemovals.flush()
            case .expiryOnly:
                // It lands on top of this very row; a newer one makes it change nothing.
                if case .upsert(let row) = mutation, row.version == outstanding.version { return }
            case .cacheRemoval:
                // Whether it removes this change's row depends on which commits first: settle it.
                await cacheRemovals.flush()
            }
        }
        if coherence.shows(gateKey, atOrAfter: change.position) { return }
        let local = engine.versionedUnchecked(mutation.kind, mutation.key)
        switch mutation {
        case .upsert(let row), .compareAndSet(let row, _):  // a feed delivers a committed row as an upsert
            if let local, local.version > row.version { return }
            if instants.hasPassed(row.expiresAt) {
                // Expired on arrival: the change removes what memory holds of the key.
                if local != nil { try engine.deleteExternal(row.kind, row.key) }
                break
            }
            guard let value = decodeOrLog(row, "skipping an external change that cannot be decoded") else { return }
            let deadline = instants.deadline(ofInstant: row.expiresAt)
            if let local, local.version == row.version, engine.isEquivalent(local.value, value) {
                // The same row: at most its expiry changed (`setExpiration` in another store).
                try engine.applyDeadline(row.kind, row.key, version: row.version, deadline: deadline)
                break
            }
            logUniqueConflict(row.kind, row.key, value)
            try engine.applyExternal(row.kind, row.key, value, version: row.version, deadline: deadline)
        case .delete(let kind, let key):
            if local != nil { try engine.deleteExternal(kind, key) }
        case .deleteUnlessNewer(let kind, let key, let version):
            if let local, local.version <= version { try engine.deleteExternal(kind, key) }
        case .compareAndDelete(let kind, let key, let version):
            if let local, local.version == version { try engine.deleteExternal(kind, key) }
        case .setExpiry(let kind, let key, let version, let expiresAt):
            try engine.applyDeadline(kind, key, version: version, deadline: instants.deadline(ofInstant: expiresAt))
        }
        coherence.record([gateKey], at: change.position)
    }

    /// Commits the cache removals of `keys` still outstanding, and the writes of `keys` already
    /// in flight (waiting for everything recorded before), so that what is read of the storage
    /// afterwards, and the positions memory shows, reflect them: a write in flight may commit
    /// before or after the read, and only its recorded position tells which. Cheap when none of
    /// the keys has one.
    func settleRemovals(of keys: [KeyGate.Key]) async {
        if keys.contains(where: {
            cacheRemovals.outstandingWrite(of: $0)?.removedVersion != nil || cacheRemovals.writeIsOnlyInFlight($0)
        }) {
            await cacheRemovals.flush()
        }
    }

    /// Re-reads keys whose write-behind upserts the storage left alone (another store wrote a
    /// newer row first), so memory shows the winner — unless a newer write of the key is
    /// outstanding again (it is reported in turn if it loses too). Keys that cannot be read now
    /// are left to the resolver, which retries.
    func reconcileLost(_ keys: [KeyGate.Key]) {
        Task.detached { [self] in
            for key in keys {
                if isClosing { return }
                await gate.acquire(key)
                defer { gate.release(key) }
                do {
                    try await reconcileHeld([key])
                } catch {
                    markInDoubt([key], afterCommit: false)
                }
            }
        }
    }

    // MARK: Reconciling keys

    /// Reconciles `keys` with the storage — the caller holds their gates: reads their rows at one
    /// position and makes memory equal to them (``repair(_:to:decoded:at:)``). Returns how many
    /// differed. Throws the backend's error when it cannot read them (memory is left as it was).
    @discardableResult
    func reconcileHeld(_ keys: [KeyGate.Key]) async throws -> Int {
        coherence.beginReconcile()
        defer { coherence.endReconcile() }
        await settleRemovals(of: keys)
        let loaded = try await backend.load(keys.map { PersistedKey(kind: $0.kind, key: $0.key) })
        var rows: [KeyGate.Key: PersistedRow] = [:]
        for row in loaded.rows { rows[KeyGate.Key(kind: row.kind, key: row.key)] = row }
        var repaired = 0
        for key in keys where try repair(key, to: rows[key], decoded: nil, at: loaded.position) {
            repaired += 1
        }
        coherence.reconciled(keys, repaired: repaired)
        if repaired > 0 {
            logger.notice("memory reconciled with the storage", metadata: [
                "keys": "\(keys.count)", "repaired": "\(repaired)",
            ])
        }
        return repaired
    }

    /// Before a write-through write of `keys` (whose gates the caller holds): reconciles those in
    /// doubt, so the write starts from the version the storage holds.
    func reconcileIfInDoubt(_ keys: [KeyGate.Key]) async throws {
        let doubtful = coherence.inDoubt(among: keys)
        if !doubtful.isEmpty { try await reconcileHeld(doubtful) }
    }

    /// Marks the keys of a commit of unknown outcome in doubt and makes sure the resolver runs;
    /// returns the error for the writer.
    func commitInDoubt(_ kind: String, _ keys: [KeyGate.Key], _ failure: CommitOutcomeUnknown) -> StoreError {
        logger.warning("write-through commit outcome unknown; reconciling its keys once the storage answers", metadata: [
            "kind": "\(kind)", "keys": "\(keys.count)", "cause": "\(failure.cause)",
        ])
        markInDoubt(keys, afterCommit: true)
        return .commitOutcomeUnknown(kind: kind, keys: keys.map(\.key))
    }

    /// Marks `keys` in doubt (``Coherence/markInDoubt(_:afterCommit:)``) and starts the resolver
    /// unless it runs.
    func markInDoubt(_ keys: [KeyGate.Key], afterCommit: Bool) {
        if coherence.markInDoubt(keys, afterCommit: afterCommit) { startResolver() }
    }

    /// Reconciles the keys in doubt until none is left, retrying with ``resolverBackoff`` while
    /// the storage does not answer. Stops when the store closes.
    private func startResolver() {
        Task.detached { [self] in
            var backoff = Self.resolverBackoff
            while let keys = coherence.nextInDoubt() {
                if isClosing { return }
                await gate.acquire(keys)
                do {
                    try await reconcileHeld(keys)
                    gate.release(keys)
                    backoff.reset()
                } catch {
                    gate.release(keys)
                    if isClosing { return }
                    logger.debug("cannot reconcile keys in doubt yet; retrying", metadata: [
                        "keys": "\(keys.count)", "error": "\(error)", "retryIn": "\(backoff.current)",
                    ])
                    try? await Task.sleep(for: backoff.next())
                }
            }
        }
    }

    /// The pauses between two attempts to reconcile keys in doubt: 25 ms doubling to 1 s, so keys
    /// are settled within about a second of the storage answering again.
    static var resolverBackoff: Backoff { Backoff(initial: .milliseconds(25), maximum: .seconds(1)) }

    /// Makes `key`'s memory equal to the stored `row` (`nil`: no row) read at `position`, unless
    /// memory shows a commit after that position. The caller holds the key's gate. Returns whether
    /// memory changed (one event: create, update or delete). A row that cannot be decoded is logged
    /// and leaves memory alone; a value the kind's validator rejects is applied all the same (the
    /// database holds it) and logged.
    private func repair(_ key: KeyGate.Key, to row: PersistedRow?, decoded: Value?, at position: UInt64?) throws -> Bool {
        if let position, coherence.shows(key, atOrAfter: position + 1) { return false }
        let local = engine.versionedUnchecked(key.kind, key.key)
        // A write of the key this store has not committed yet lands after what was read.
        if let outstanding = cacheRemovals.outstandingWrite(of: key) {
            switch outstanding.change {
            case .upsert, .delete: return false
            case .expiryOnly: if row?.version == outstanding.version { return false }
            case .cacheRemoval:
                // Recorded since the caller settled removals: it will remove a row up to its version.
                if local == nil, let row, row.version <= outstanding.version { return false }
            }
        }
        defer { coherence.record([key], at: position) }
        guard let row, !instants.hasPassed(row.expiresAt) else {
            // No row, or one expired whose removal no store has persisted yet: this store deletes
            // it (unless it is newer by then), and its next write of the key continues above it.
            if let row { cacheRemovals.record(key, .cacheRemoval, version: row.version) }
            if local == nil { return false }
            try engine.deleteExternal(key.kind, key.key)
            return true
        }
        guard let value = decoded ?? decodeOrLog(row, "cannot reconcile a stored row that cannot be decoded") else {
            return false
        }
        let deadline = instants.deadline(ofInstant: row.expiresAt)
        if let local, local.version == row.version, engine.isEquivalent(local.value, value) {
            try engine.applyDeadline(key.kind, key.key, version: row.version, deadline: deadline)
            return false
        }
        do {
            try engine.validate(key.kind, value)
        } catch {
            logger.warning("a stored value the kind's validator rejects is applied: the database holds it", metadata: [
                "kind": "\(key.kind)", "key": "\(key.key)", "error": "\(error)",
            ])
        }
        logUniqueConflict(key.kind, key.key, value)
        try engine.applyExternal(key.kind, key.key, value, version: row.version, deadline: deadline)
        return true
    }

    private func decodeOrLog(_ row: PersistedRow, _ message: Logger.Message) -> Value? {
        do {
            return try codec.decode(row.value)
        } catch {
            logger.error(message, metadata: ["kind": "\(row.kind)", "key": "\(row.key)", "error": "\(error)"])
            return nil
        }
    }

    // MARK: Resynchronizing after a gap

    /// Makes memory equal to `snapshot` — every stored row at `snapshot.position`, read by the feed
    /// after it found that changes after `missedAfter` were pruned before it could read them.
    ///
    /// Decodes the rows on dedicated threads (like ``open(backend:mode:options:codec:undecodableRows:logger:)``), finds the keys whose memory differs
    /// without holding any lock for long, then repairs each under its gate: one event per differing
    /// key, none for the others. Readers are served from memory throughout; local writes keep
    /// their order per key (they hold the same gates) and win when they committed after the
    /// snapshot. Logs the gap and the repairs at warning level.
    private func resynchronize(_ snapshot: PersistedRows, missedAfter: UInt64) async throws {
        coherence.beginReconcile()
        defer { coherence.endReconcile() }
        let began = ContinuousClock.now
        let scratch = MemoryStore<Value>(options: StoreOptions(clock: instants.clock))
        let failures = await ParallelLoader.load(snapshot.rows, with: codec, instants: instants, into: scratch)
        for failure in failures {
            logger.error("resynchronization: skipping a stored row that cannot be decoded", metadata: [
                "kind": "\(failure.row.kind)", "key": "\(failure.row.key)", "error": "\(failure.error)",
            ])
        }
        let undecodable = Set(failures.map { KeyGate.Key(kind: $0.row.kind, key: $0.row.key) })
        var stored: [KeyGate.Key: PersistedRow] = [:]
        stored.reserveCapacity(snapshot.rows.count)
        var differing: [KeyGate.Key] = []
        for row in snapshot.rows {
            let key = KeyGate.Key(kind: row.kind, key: row.key)
            if undecodable.contains(key) { continue }
            stored[key] = row
            if let local = engine.versionedUnchecked(row.kind, row.key), local.version == row.version,
               let value = scratch.versionedUnchecked(row.kind, row.key)?.value, engine.isEquivalent(local.value, value) {
                continue
            }
            differing.append(key)
        }
        for (kind, entries) in try engine.getAll() {
            for key in entries.keys {
                let gateKey = KeyGate.Key(kind: kind, key: key)
                if stored[gateKey] == nil && !undecodable.contains(gateKey) { differing.append(gateKey) }
            }
        }
        var repaired = 0
        for key in differing.sorted() {
            await gate.acquire(key)
            defer { gate.release(key) }
            await settleRemovals(of: [key])
            let row = stored[key]
            let value = row.flatMap { scratch.versionedUnchecked($0.kind, $0.key)?.value }
            if try repair(key, to: row, decoded: value, at: snapshot.position) { repaired += 1 }
        }
        if let position = snapshot.position { coherence.feedReached(position) }
        coherence.resynchronized(repaired: repaired)
        logger.warning("change feed gap: memory resynchronized with the storage", metadata: [
            "missedAfter": "\(missedAfter)", "position": "\(snapshot.position.map { "\($0)" } ?? "-")",
            "rows": "\(snapshot.rows.count)", "keysDiffering": "\(repaired)",
            "took": "\(ContinuousClock.now - began)",
        ])
    }
}
