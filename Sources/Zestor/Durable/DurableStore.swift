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
    let writePath: WritePath
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
            writePath = .writeThrough(GroupCommitter(backend: backend))
        case .writeBehind(let policy):
            writePath = .writeBehind(WriteBehindQueue(policy: policy, backend: backend, logger: logger) { [codec] value in
                try codec.encode(value)
            })
        }
    }

    /// How writes become durable: the ``WriteMode`` with the machinery it runs on.
    enum WritePath: Sendable {
        /// Writers commit through the group committer before they return.
        case writeThrough(GroupCommitter)
        /// Writers apply to memory and record in the queue, whose flusher commits.
        case writeBehind(WriteBehindQueue<Value>)

        /// The write-behind queue, `nil` in write-through mode.
        var queue: WriteBehindQueue<Value>? {
            if case .writeBehind(let queue) = self { return queue }
            return nil
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
    ///   - backend: where the rows are stored; the store owns it from now on and closes it.
    ///   - mode: when a write becomes durable (``WriteMode``); default write-through.
    ///   - options: change detection and per-kind validators, as for ``MemoryStore``. Cache
    ///     options (``StoreOptions/caches``) are not supported yet and make `open` throw
    ///     ``StoreError/invalidArgument(_:)``.
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
        if case .writeBehind(let policy) = mode { try policy.check() }
        guard options.caches.isEmpty else {
            throw StoreError.invalidArgument(
                "StoreOptions.caches is not supported by DurableStore yet: expiry and eviction are not persisted")
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
        store.writePath.queue?.start()
        if let feed {
            store.follow(feed)
        }
        logger.debug("opened durable store", metadata: ["rows": "\(rows.count)"])
        return store
    }

    /// The write-behind flusher's state (`nil` in write-through mode).
    public var writeBehindStatus: WriteBehindStatus? { writePath.queue?.status }

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

    // Each write checks and registers itself (`beginWrite`), then runs the mode's implementation:
    // `DurableStore+WriteThrough.swift` or `DurableStore+WriteBehind.swift`.

    @discardableResult
    nonisolated(nonsending) public func set(_ kind: String, _ key: String, _ value: Value) async throws -> SetResult {
        try beginWrite(kind)
        defer { endWrite() }
        try engine.validate(kind, value)
        switch writePath {
        case .writeThrough(let committer): return try await setThrough(kind, key, value, committer)
        case .writeBehind(let queue): return try await setBehind(kind, key, value, queue)
        }
    }

    @discardableResult
    nonisolated(nonsending) public func update(
        _ kind: String, _ key: String, _ transform: (inout Value) throws -> Void
    ) async throws -> Bool {
        try beginWrite(kind)
        defer { endWrite() }
        switch writePath {
        case .writeThrough(let committer): return try await updateThrough(kind, key, transform, committer)
        case .writeBehind(let queue): return try await updateBehind(kind, key, transform, queue)
        }
    }

    nonisolated(nonsending) public func setMany(_ kind: String, _ values: [String: Value]) async throws {
        try beginWrite(kind)
        defer { endWrite() }
        if values.isEmpty { return }
        for value in values.values { try engine.validate(kind, value) }
        switch writePath {
        case .writeThrough(let committer): try await setManyThrough(kind, values, committer)
        case .writeBehind(let queue): try await setManyBehind(kind, values, queue)
        }
    }

    @discardableResult
    nonisolated(nonsending) public func delete(_ kind: String, _ key: String) async throws -> Value? {
        try beginWrite(kind)
        defer { endWrite() }
        switch writePath {
        case .writeThrough(let committer): return try await deleteThrough(kind, key, committer)
        case .writeBehind(let queue): return try await deleteBehind(kind, key, queue)
        }
    }

    /// `update`'s step shared by both modes (the caller holds the key's gate): the key's current
    /// entry and the value `transform` makes of it, validated; `nil` when it is equivalent (the
    /// update changes nothing). Throws ``StoreError/keyNotFound(kind:key:)`` for a missing key,
    /// and what `transform` or the validator throws.
    func transformed(_ kind: String, _ key: String,
                     _ transform: (inout Value) throws -> Void) throws -> (current: Versioned<Value>, value: Value)? {
        guard let current = engine.versionedUnchecked(kind, key) else {
            throw StoreError.keyNotFound(kind: kind, key: key)
        }
        var value = current.value
        try transform(&value)
        try engine.validate(kind, value)
        return engine.isEquivalent(current.value, value) ? nil : (current, value)
    }

    // MARK: - Durability and lifecycle

    /// Returns when every write acknowledged before the call is durable (immediately in
    /// write-through mode, where every acknowledged write already is).
    public func flush() async throws {
        try Task.checkCancellation()
        try checkOpen()
        await writePath.queue?.flush()
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
        await writePath.queue?.stop()
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
