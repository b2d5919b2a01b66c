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
/// - **caching**: kinds may expire and be bounded as in `MemoryStore` (``CachingStore``); expiry
///   instants are stored with the rows and the cache's removals are persisted
///   (`Caching/DurableStore+Caching.swift`).
///
/// Per key, the order of versions on disk equals the order in memory equals the order of events:
/// each write holds its key's gate from reading the current version until the memory apply.
/// Validators and `isEquivalent` apply exactly as in `MemoryStore`; unchanged writes touch
/// neither memory nor disk.
public final class DurableStore<Value: Codable & Sendable>: Store {
    @usableFromInline let engine: MemoryStore<Value>
    let backend: any PersistenceBackend
    let codec: any Codec<Value>
    let gate = KeyGate()
    let writePath: WritePath
    /// Persists the cache's expirations and evictions (as deletes unless the row is newer): the
    /// write-behind queue itself, or in write-through mode a queue of its own that records
    /// nothing else (`Durable/Caching/`).
    let cacheRemovals: WriteBehindQueue<Value>
    /// Converts expiry deadlines to stored instants and back.
    let instants: ExpiryInstants
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
                 writePath: WritePath, cacheRemovals: WriteBehindQueue<Value>, instants: ExpiryInstants,
                 feed: AsyncStream<FeedBatch>?, logger: Logger) {
        self.engine = engine
        self.coherence = Coherence(tracksPositions: feed != nil)
        self.backend = backend
        self.codec = codec
        self.logger = logger
        self.writePath = writePath
        self.cacheRemovals = cacheRemovals
        self.instants = instants
        // What the flusher commits, memory shows: the change feed must not undo it with an older
        // change it delivers late; what it lost to another store, memory re-reads
        // (`DurableStore+Coherence.swift`).
        if feed != nil { cacheRemovals.trackWritesInFlight() }
        cacheRemovals.onCommit(committed: { [coherence] keys, position in
            coherence.record(keys, at: position)
        }, lost: { [weak self] keys in
            self?.reconcileLost(keys)
        })
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

    /// Opens a store over `backend`, loading every stored row that has not expired into memory
    /// (decoded on dedicated threads, one per core) with its persisted version and expiry.
    ///
    /// - Parameters:
    ///   - backend: where the rows are stored; the store owns it from now on and closes it.
    ///   - mode: when a write becomes durable (``WriteMode``); default write-through.
    ///   - options: change detection, per-kind validators and caches, as for ``MemoryStore``.
    ///     Expiry instants are stored with the rows (wall-clock time), so an entry expires at
    ///     the same instant after a reopen; rows whose instant passed while the store was closed
    ///     are neither loaded nor kept. The cache's expirations and evictions are persisted as
    ///     deletes (see ``CachingStore``).
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
        let instants = ExpiryInstants(clock: options.clock)
        let encode: @Sendable (Value) throws -> [UInt8] = { [codec] value in try codec.encode(value) }
        let writePath: WritePath
        let cacheRemovals: WriteBehindQueue<Value>
        switch mode {
        case .writeThrough:
            writePath = .writeThrough(GroupCommitter(backend: backend))
            cacheRemovals = WriteBehindQueue(policy: .cacheRemovals, backend: backend, logger: logger, encode: encode)
        case .writeBehind(let policy):
            cacheRemovals = WriteBehindQueue(policy: policy, backend: backend, logger: logger, encode: encode)
            writePath = .writeBehind(cacheRemovals)
        }
        let stored = try await backend.loadAll()
        // Rows whose instant passed while no store had them are neither loaded nor kept.
        let expired = stored.filter { instants.hasPassed($0.expiresAt) }
        let rows = expired.isEmpty ? stored : stored.filter { !instants.hasPassed($0.expiresAt) }
        let engine = MemoryStore<Value>(options: options, cacheRemovals: { kind, key, version in
            cacheRemovals.record(KeyGate.Key(kind: kind, key: key), .cacheRemoval, version: version)
        })
        let failures = await ParallelLoader.load(rows, with: codec, instants: instants, into: engine)
        for failure in failures.sorted(by: { ($0.row.kind, $0.row.key) < ($1.row.kind, $1.row.key) }) {
            switch undecodableRows {
            case .fail:
                // Nothing was committed: the queue, never started, is dropped with what it holds.
                throw StoreError.undecodableRow(kind: failure.row.kind, key: failure.row.key, reason: "\(failure.error)")
            case .skipAndLog:
                logger.error("skipping a stored row that cannot be decoded", metadata: [
                    "kind": "\(failure.row.kind)", "key": "\(failure.row.key)", "error": "\(failure.error)",
                ])
            }
        }
        let feed = backend.externalChanges()
        let store = DurableStore(engine: engine, backend: backend, codec: codec, writePath: writePath,
                                 cacheRemovals: cacheRemovals, instants: instants, feed: feed, logger: logger)
        for row in expired {
            cacheRemovals.record(KeyGate.Key(kind: row.kind, key: row.key), .cacheRemoval, version: row.version)
        }
        switch writePath {
        case .writeThrough: cacheRemovals.startOnDemand()
        case .writeBehind: cacheRemovals.start()
        }
        if let feed {
            store.follow(feed)
        }
        logger.debug("opened durable store", metadata: ["rows": "\(rows.count)", "expired": "\(expired.count)"])
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
    // `DurableStore+WriteThrough.swift` or `DurableStore+WriteBehind.swift`. The forms that take
    // an ``Expiration`` are in `Caching/DurableStore+Caching.swift`.

    @discardableResult
    nonisolated(nonsending) public func set(_ kind: String, _ key: String, _ value: Value) async throws -> SetResult {
        try await set(kind, key, value, expiration: .kindDefault)
    }

    /// Stores the transformed value; the entry keeps its expiry.
    @discardableResult
    nonisolated(nonsending) public func update(
        _ kind: String, _ key: String, _ transform: (inout Value) throws -> Void
    ) async throws -> Bool {
        try await update(kind, key, expiration: nil, transform)
    }

    nonisolated(nonsending) public func setMany(_ kind: String, _ values: [String: Value]) async throws {
        try await setMany(kind, values, expiration: .kindDefault)
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

    // MARK: - Durability and lifecycle

    /// Returns when every write acknowledged before the call is durable (in write-through mode,
    /// where every acknowledged write already is, when the cache's expirations and evictions
    /// made before the call are).
    public func flush() async throws {
        try Task.checkCancellation()
        try checkOpen()
        await cacheRemovals.flush()
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
        await cacheRemovals.stop()
        try engine.close()
        try await backend.close()
    }

    @usableFromInline
    func checkOpen() throws {
        if isClosing { throw StoreError.closed }
    }

    /// Whether ``close()`` has begun.
    var isClosing: Bool { closing.load(ordering: .acquiring) }

    /// The checks every write starts with, then registers it as in progress. Pair with ``endWrite()``.
    func beginWrite(_ kind: String) throws {
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

    func endWrite() {
        let waiters = lifecycle.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.activeWrites -= 1
            guard state.activeWrites == 0 else { return [] }
            defer { state.drained = [] }
            return state.drained
        }
        for waiter in waiters { waiter.resume() }
    }
}
