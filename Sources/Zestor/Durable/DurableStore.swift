public import Logging
import Synchronization

/// The in-memory engine layered over a ``PersistenceBackend``: reads at memory speed, writes
/// made durable in one of two ``WriteMode``s.
///
/// - **Reads** are served by a private ``MemoryStore`` (synchronously, like MemoryStore's).
/// - **write-through**: a write returns only after its transaction committed; if the commit
///   fails the write throws and memory, versions and watchers see nothing. A commit whose outcome
///   is unknown throws ``StoreError/commitOutcomeUnknown(kind:keys:)`` and leaves its keys in
///   doubt until they are reconciled with the storage (`DurableStore+Coherence.swift`).
///   Concurrent writers share commits (group commit).
/// - **coherence**: memory converges on the storage — other processes' commits arrive through
///   the backend's change feed, keys in doubt or that lost a race are re-read, and a gap in the
///   feed triggers a resynchronization (``coherenceStatus``).
/// - **write-behind**: a write returns after the memory apply; a background flusher coalesces
///   per key and commits in batches. ``flush()`` waits for durability, ``close()`` flushes.
///
/// Per key, the order of versions on disk equals the order in memory equals the order of events:
/// each write holds its key's gate from reading the current version until the memory apply.
/// Validators and `isEquivalent` apply exactly as in `MemoryStore`; unchanged writes touch
/// neither memory nor disk.
public final class DurableStore<Value: Codable & Sendable>: Store {
    let engine: MemoryStore<Value>
    let backend: any PersistenceBackend
    let codec: any Codec<Value>
    let gate = KeyGate()
    let committer: GroupCommitter?
    let queue: WriteBehindQueue<Value>?
    let coherence: Coherence
    let logger: Logger
    private let closing = Atomic<Bool>(false)
    private let lifecycle = Locked(Lifecycle())

    /// Writes between their closed-check and their end, so `close()` can wait for them.
    private struct Lifecycle {
        var activeWrites = 0
        var drained: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }

    private init(engine: MemoryStore<Value>, backend: any PersistenceBackend, codec: any Codec<Value>,
                 mode: WriteMode, feed: AsyncStream<FeedBatch>?, logger: Logger) {
        self.engine = engine
        self.coherence = Coherence(tracksPositions: feed != nil)
        self.backend = backend
        self.codec = codec
        self.logger = logger
        switch mode {
        case .writeThrough:
            committer = GroupCommitter(backend: backend)
            queue = nil
        case .writeBehind(let policy):
            committer = nil
            queue = WriteBehindQueue(policy: policy, backend: backend, logger: logger) { [codec] value in
                try codec.encode(value)
            }
        }
    }

    /// Opens a store over `backend` with the default JSON codec (compatible with the Go zestor
    /// stores). See ``open(backend:mode:options:codec:undecodableRows:logger:)``.
    public static func open(
        backend: some PersistenceBackend,
        mode: WriteMode = .writeThrough,
        options: StoreOptions<Value> = .init(),
        undecodableRows: UndecodableRowPolicy = .fail,
        logger: Logger = Logger(label: "zestor.durable")
    ) async throws -> DurableStore<Value> {
        try await open(backend: backend, mode: mode, options: options, codec: JSONCodec<Value>(),
                       undecodableRows: undecodableRows, logger: logger)
    }

    /// Opens a store over `backend`, loading every stored row into memory (decoded on dedicated
    /// threads, one per core) with its persisted version.
    ///
    /// - Parameters:
    ///   - codec: how values are stored.
    ///   - undecodableRows: `.fail` (default) makes `open` throw
    ///     ``StoreError/undecodableRow(kind:key:reason:)`` without modifying anything;
    ///     `.skipAndLog` leaves such rows out of memory (and alone on disk) and logs them.
    ///   - logger: where the store reports (write-behind retries at warning level).
    public static func open<C: Codec>(
        backend: some PersistenceBackend,
        mode: WriteMode = .writeThrough,
        options: StoreOptions<Value> = .init(),
        codec: C,
        undecodableRows: UndecodableRowPolicy = .fail,
        logger: Logger = Logger(label: "zestor.durable")
    ) async throws -> DurableStore<Value> where C.Value == Value {
        try Task.checkCancellation()
        if case .writeBehind(let policy) = mode, policy.maxBatch < 1 || policy.maxPending < 1 {
            throw StoreError.invalidArgument("WriteBehindPolicy.maxBatch and maxPending must be at least 1")
        }
        let rows = try await backend.loadAll()
        let engine = MemoryStore<Value>(options: options)
        let failures = await ParallelLoader.load(rows, with: codec, into: engine)
        for failure in failures.sorted(by: { ($0.row.kind, $0.row.key) < ($1.row.kind, $1.row.key) }) {
            switch undecodableRows {
            case .fail:
                throw StoreError.undecodableRow(kind: failure.row.kind, key: failure.row.key, reason: "\(failure.error)")
            case .skipAndLog:
                logger.error("skipping a stored row that cannot be decoded", metadata: [
                    "kind": "\(failure.row.kind)", "key": "\(failure.row.key)", "error": "\(failure.error)",
                ])
            }
        }
        let feed = backend.externalChanges()
        let store = DurableStore(engine: engine, backend: backend, codec: codec, mode: mode, feed: feed, logger: logger)
        store.queue?.start()
        if let feed {
            store.follow(feed)
        }
        logger.debug("opened durable store", metadata: ["rows": "\(rows.count)"])
        return store
    }

    /// The write-behind flusher's state (`nil` in write-through mode).
    public var writeBehindStatus: WriteBehindStatus? { queue?.status }

    /// How memory has been kept equal to the storage: resynchronizations, keys repaired, commits
    /// and keys in doubt.
    public var coherenceStatus: CoherenceStatus { coherence.status }

    // MARK: - Reads (memory speed)

    public func get(_ kind: String, _ key: String) throws -> Value? {
        try checkOpen()
        return try engine.get(kind, key)
    }

    /// The value and its (persisted) version.
    public func getVersioned(_ kind: String, _ key: String) throws -> Versioned<Value>? {
        try checkOpen()
        return try engine.getVersioned(kind, key)
    }

    public func list(_ kind: String, where filters: [(String, Value) -> Bool]) throws -> [String: Value] {
        try checkOpen()
        return try engine.list(kind, where: filters)
    }

    public func count(_ kind: String) throws -> Int {
        try checkOpen()
        return try engine.count(kind)
    }

    public func keys(_ kind: String) throws -> [String] {
        try checkOpen()
        return try engine.keys(kind)
    }

    public func values(_ kind: String) throws -> [KeyValue<Value>] {
        try checkOpen()
        return try engine.values(kind)
    }

    public func getAll() throws -> [String: [String: Value]] {
        try checkOpen()
        return try engine.getAll()
    }

    public func watch(_ kind: String, options: WatchOptions) throws -> Watch<Value> {
        try checkOpen()
        return try engine.watch(kind, options: options)
    }

    // MARK: - Writes

    @discardableResult
    nonisolated(nonsending) public func set(_ kind: String, _ key: String, _ value: Value) async throws -> SetResult {
        try beginWrite(kind)
        defer { endWrite() }
        try engine.validate(kind, value)
        let gateKey = KeyGate.Key(kind: kind, key: key)
        if let queue {
            await queue.waitForSpace()
            await gate.acquire(gateKey)
            defer { gate.release(gateKey) }
            let applied = try engine.applyCommitted(kind, key, value)
            if applied.result != .unchanged {
                queue.record(gateKey, value: value, version: applied.version)
            }
            return applied.result
        }
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        try await reconcileIfInDoubt([gateKey])
        let current = engine.versionedUnchecked(kind, key)
        if let current, engine.isEquivalent(current.value, value) { return .unchanged }
        let row = PersistedRow(kind: kind, key: key, value: try codec.encode(value), version: (current?.version ?? 0) + 1)
        let outcome = try await commitThrough(kind, [.upsert(row)], keys: [gateKey])
        if !outcome.staleUpserts.isEmpty {
            throw await lostRace(gateKey, expected: current?.version)
        }
        let applied = try engine.applyCommitted(kind, key, value).result
        coherence.record([gateKey], at: outcome.position)
        return applied
    }

    /// Commits `mutations` of `keys` (whose gates the caller holds) through the group committer.
    /// A commit of unknown outcome marks the keys in doubt and throws
    /// ``StoreError/commitOutcomeUnknown(kind:keys:)``; other failures are rethrown unchanged.
    private func commitThrough(_ kind: String, _ mutations: [PersistedMutation],
                               keys: [KeyGate.Key]) async throws -> GroupCommitter.Outcome {
        do {
            return try await committer!.commit(mutations)
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

    @discardableResult
    nonisolated(nonsending) public func update(
        _ kind: String, _ key: String, _ transform: (inout Value) throws -> Void
    ) async throws -> Bool {
        try beginWrite(kind)
        defer { endWrite() }
        let gateKey = KeyGate.Key(kind: kind, key: key)
        if let queue { await queue.waitForSpace() }
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        if queue == nil { try await reconcileIfInDoubt([gateKey]) }
        guard let current = engine.versionedUnchecked(kind, key) else {
            throw StoreError.keyNotFound(kind: kind, key: key)
        }
        var value = current.value
        try transform(&value)
        try engine.validate(kind, value)
        if engine.isEquivalent(current.value, value) { return false }
        if let queue {
            let applied = try engine.applyCommitted(kind, key, value)
            queue.record(gateKey, value: value, version: applied.version)
            return true
        }
        let row = PersistedRow(kind: kind, key: key, value: try codec.encode(value), version: current.version + 1)
        let outcome = try await commitThrough(kind, [.upsert(row)], keys: [gateKey])
        if !outcome.staleUpserts.isEmpty {
            throw await lostRace(gateKey, expected: current.version)
        }
        try engine.applyCommitted(kind, key, value)
        coherence.record([gateKey], at: outcome.position)
        return true
    }

    nonisolated(nonsending) public func setMany(_ kind: String, _ values: [String: Value]) async throws {
        try beginWrite(kind)
        defer { endWrite() }
        if values.isEmpty { return }
        for value in values.values { try engine.validate(kind, value) }
        let gateKeys = values.keys.sorted().map { KeyGate.Key(kind: kind, key: $0) }
        if let queue { await queue.waitForSpace() }
        await gate.acquire(gateKeys)
        defer { gate.release(gateKeys) }
        if queue == nil { try await reconcileIfInDoubt(gateKeys) }
        var changed: [(key: String, value: Value)] = []  // in ascending key order, like `gateKeys`
        var baseVersions: [UInt64?] = []
        var rows: [PersistedMutation] = []
        for gateKey in gateKeys {
            let value = values[gateKey.key]!
            let current = engine.versionedUnchecked(kind, gateKey.key)
            if let current, engine.isEquivalent(current.value, value) { continue }
            changed.append((gateKey.key, value))
            baseVersions.append(current?.version)
            if queue == nil {
                rows.append(.upsert(PersistedRow(kind: kind, key: gateKey.key, value: try codec.encode(value),
                                                 version: (current?.version ?? 0) + 1)))
            }
        }
        if changed.isEmpty { return }
        if let queue {
            let applied = try engine.applyCommitted(kind, changed)  // in key order, like `changed`
            for (item, write) in zip(changed, applied) where write.result != .unchanged {
                queue.record(KeyGate.Key(kind: kind, key: item.key), value: item.value, version: write.version)
            }
            return
        }
        let changedKeys = changed.map { KeyGate.Key(kind: kind, key: $0.key) }
        let outcome = try await commitThrough(kind, rows, keys: changedKeys)
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

    @discardableResult
    nonisolated(nonsending) public func delete(_ kind: String, _ key: String) async throws -> Value? {
        try beginWrite(kind)
        defer { endWrite() }
        let gateKey = KeyGate.Key(kind: kind, key: key)
        if let queue { await queue.waitForSpace() }
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        if queue == nil { try await reconcileIfInDoubt([gateKey]) }
        guard let current = engine.versionedUnchecked(kind, key) else { return nil }
        if let queue {
            let removed = try engine.deleteCommitted(kind, key)
            queue.record(gateKey, value: nil, version: current.version + 1)
            return removed
        }
        let outcome = try await commitThrough(kind, [.delete(kind: kind, key: key)], keys: [gateKey])
        let removed = try engine.deleteCommitted(kind, key)
        coherence.record([gateKey], at: outcome.position)
        return removed
    }

    // MARK: - Durability and lifecycle

    /// Returns when every write acknowledged before the call is durable (immediately in
    /// write-through mode, where every acknowledged write already is).
    public func flush() async throws {
        try Task.checkCancellation()
        try checkOpen()
        await queue?.flush()
    }

    /// Waits for writes in progress, flushes (write-behind), ends every watch and closes the
    /// backend. Idempotent; afterwards every operation, `flush()` included, throws
    /// ``StoreError/closed``. In write-behind mode it returns only once everything is
    /// committed: while the backend keeps failing it keeps retrying.
    public func close() async throws {
        try Task.checkCancellation()
        if closing.exchange(true, ordering: .acquiringAndReleasing) {
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let drained = lifecycle.withLock { state -> Bool in
                state.closed = true
                if state.activeWrites == 0 { return true }
                state.drained.append(continuation)
                return false
            }
            if drained { continuation.resume() }
        }
        await queue?.stop()
        try engine.close()
        try await backend.close()
    }

    private func checkOpen() throws {
        if isClosing { throw StoreError.closed }
    }

    /// Whether ``close()`` has begun.
    var isClosing: Bool { closing.load(ordering: .acquiring) }

    /// The checks every write starts with, then registers it as in progress. Pair with ``endWrite()``.
    private func beginWrite(_ kind: String) throws {
        try Task.checkCancellation()
        if kind.isEmpty { throw StoreError.kindRequired }
        let admitted = lifecycle.withLock { state -> Bool in
            if state.closed { return false }
            state.activeWrites += 1
            return true
        }
        if !admitted || closing.load(ordering: .acquiring) {
            if admitted { endWrite() }
            throw StoreError.closed
        }
    }

    private func endWrite() {
        let waiters = lifecycle.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.activeWrites -= 1
            guard state.activeWrites == 0 else { return [] }
            defer { state.drained = [] }
            return state.drained
        }
        for waiter in waiters { waiter.resume() }
    }
}
