public import Logging
public import Zestor
import Foundation
import Synchronization

/// A `PersistenceBackend` over PostgreSQL, compatible with the Go zestor postgres store:
/// `zestor_kv(ns_id, kind, key, value BYTEA, version, updated_at)` and `zestor_outbox` with a
/// trigger that notifies channel `zestor_events` once per statement that appends outbox rows.
///
/// **Namespaces** isolate tenants completely: every statement filters on `ns_id`, so rows,
/// outbox entries and counts of other namespaces are never read or written.
///
/// **Threading**: every libpq call runs on a dedicated thread, never on the Swift concurrency
/// pool. The backend owns one writer connection (``commit(_:)``, outbox pruning) and
/// ``Options/poolSize`` read connections (``loadAll()``, outbox reads), each with its own thread
/// (`ConnectionThread`); async calls enqueue a job on that thread and suspend until it resumes
/// them. Reads pick a read connection round-robin.
///
/// **Writes**: ``commit(_:)`` updates `zestor_kv` and appends the outbox rows in one
/// transaction, sending each run of distinct keys as a single multi-row statement over
/// `unnest` of binary arrays; a batch of one run (the usual group commit) takes one round trip.
/// Every statement is parameterized; values travel as binary `bytea`.
///
/// Errors are ``PostgresError`` values (SQLSTATE, message, statement); after ``close()`` every
/// call throws ``PostgresError/backendClosed``.
public final class PostgresBackend: PersistenceBackend {
    /// The namespace (`ns_id`) this backend reads and writes.
    public let namespace: Int64
    /// The options the backend was opened with.
    public let options: Options
    /// This instance's identity (a random UUID), stored in the `origin` column of every outbox
    /// row it writes, so that a store can recognise its own writes in the change feed.
    public let origin: String

    private let logger: Logger
    private let url: String
    let writer: ConnectionThread<PostgresSession>
    private let readers: [ConnectionThread<PostgresSession>]
    private let nextReader = Atomic<Int>(0)
    /// Guards the change feed's start and end; a pthread mutex, so Thread Sanitizer sees it.
    private let feed: Locked<FeedState>

    /// The change feed, started by the first ``externalChanges()``; `closed` after ``close()``.
    private struct FeedState {
        var feed: ChangeFeed?
        var closed = false
        /// Where the feed starts: the namespace's position when the backend opened, or that of
        /// the last ``loadAll()`` before the feed started, whichever is later.
        var startAfter: Int64
    }

    /// Connects to `url` (`postgres://user@host:port/database`, or a libpq `key=value` string),
    /// creating the tables, index and trigger if missing.
    ///
    /// Blocks the calling thread while the dedicated threads connect (each bounded by
    /// `options.operationTimeout`). Throws ``PostgresError`` when a connection or the schema
    /// cannot be made, `StoreError/outOfRange(parameter:value:requirement:)` (before
    /// connecting) for an option out of its range.
    public init(url: String, namespace: Int64 = 0, options: Options = .init(),
                logger: Logger = Logger(label: "zestor.postgres")) throws {
        try options.check()
        let origin = UUID().uuidString.lowercased()
        let writer = try Self.connect(name: "zestor.postgres.writer") {
            try PostgresSession(url: url, namespace: namespace, origin: origin, options: options,
                                createSchema: true, logger: logger)
        }
        let highWaterMark = try writer.runAndWait { try $0.outboxHighWaterMark() }
        var readers: [ConnectionThread<PostgresSession>] = []
        do {
            for index in 0..<options.poolSize {
                readers.append(try Self.connect(name: "zestor.postgres.reader.\(index)") {
                    try PostgresSession(url: url, namespace: namespace, origin: origin, options: options,
                                        createSchema: false, logger: logger)
                })
            }
        } catch {
            // The workers made so far close their connections and stop in their deinit.
            logger.debug("cannot open PostgreSQL read connections", metadata: ["error": "\(error)"])
            throw error
        }
        self.namespace = namespace
        self.options = options
        self.origin = origin
        self.logger = logger
        self.url = url
        self.feed = Locked(FeedState(startAfter: highWaterMark))
        self.writer = writer
        self.readers = readers
        logger.debug("opened PostgreSQL backend", metadata: [
            "namespace": "\(namespace)", "origin": "\(origin)", "poolSize": "\(readers.count)",
        ])
    }

    /// Every row of the namespace (`SELECT kind, key, value, version`), read on a read connection
    /// in one snapshot. Before the change feed starts, it also moves the feed's start to the
    /// position those rows reflect, so the feed delivers exactly the commits they miss.
    public func loadAll() async throws -> [PersistedRow] {
        let loaded = try await reader().run { try $0.loadAll() }
        if let position = loaded.position {
            feed.withLock { state in
                if state.feed == nil { state.startAfter = max(state.startAfter, Int64(clamping: position)) }
            }
        }
        return loaded.rows
    }

    /// The stored rows of `keys` and the position in the namespace's commit order (its outbox
    /// high-water mark) they reflect, read by one statement on a read connection.
    public func load(_ keys: [PersistedKey]) async throws -> PersistedRows {
        try await reader().run { try $0.load(keys) }
    }

    /// Applies `mutations` in one transaction on the writer connection: all of them or none.
    /// Upserts only replace rows with a lower version; deletes remove the row. Every mutation
    /// that changed a row appends an outbox row (see ``OutboxEntry``). On failure the
    /// transaction is rolled back and the ``PostgresError`` rethrown.
    ///
    /// When the connection is lost during the commit, so that the server may have committed
    /// without the reply arriving, the writer reconnects and reads back the outbox rows of its own
    /// ``origin``: a batch that committed returns its report (logged at warning); one that did
    /// not throws the connection failure. While the server is unreachable it retries for up to
    /// ``Options/operationTimeout``; a commit whose outcome is still unknown then, throws
    /// `CommitOutcomeUnknown`. `CommitReport/position` is the commit's largest outbox id.
    @discardableResult
    public func commit(_ mutations: [PersistedMutation]) async throws -> CommitReport {
        try await writer.run { try $0.commit(mutations) }
    }

    /// Up to `limit` outbox rows of this namespace with an id above `id`, in id order (which is
    /// commit order within the namespace).
    public func outbox(after id: Int64, limit: Int) async throws -> [OutboxEntry] {
        try await reader().run { try $0.outbox(after: id, limit: limit) }
    }

    /// The position of this namespace's last commit: its largest outbox id (or the largest one
    /// pruned, if all are), 0 when it has none.
    public func outboxHighWaterMark() async throws -> Int64 {
        try await reader().run { try $0.outboxHighWaterMark() }
    }

    /// Removes this namespace's outbox rows older than ``Options/outboxRetention`` now (the
    /// writer also does so after commits, at most once per ``Options/outboxPruneInterval``).
    /// Returns how many rows were removed.
    @discardableResult
    public func pruneOutbox() async throws -> Int {
        try await writer.run { try $0.pruneOutbox() }
    }

    /// The changes other backends (other processes, or other instances in this one) commit to
    /// this namespace after this backend opened (or after the last ``loadAll()`` before this
    /// call), in commit order, in batches; this backend's own writes are left out (their outbox
    /// `origin` is ``origin``).
    ///
    /// The first call starts a dedicated listener connection and thread (`LISTEN zestor_events`,
    /// `poll`, then the outbox drained by id); it catches up from its start, so nothing committed
    /// in between is missed, and after a lost connection it reconnects with backoff and catches
    /// up from the last id delivered. When the outbox rows it has not read were pruned meanwhile
    /// (it was cut off for longer than ``Options/outboxCursorLiveness``), it reads every row
    /// instead and delivers them as `FeedBatch/resynchronize(_:missedAfter:)`. Every call
    /// returns the same single-consumer stream, which ends when the backend closes.
    public func externalChanges() -> AsyncStream<FeedBatch>? {
        let (url, namespace, origin, options, logger) = (url, namespace, origin, options, logger)
        return feed.withLock { state in
            if let feed = state.feed { return feed.stream }
            if state.closed { return AsyncStream { $0.finish() } }
            let feed = ChangeFeed(url: url, namespace: namespace, origin: origin, options: options,
                                  startAfter: state.startAfter, logger: logger)
            state.feed = feed
            return feed.stream
        }
    }

    /// Closes every connection and stops their threads, after the jobs already submitted, and
    /// ends the change feed. Idempotent; concurrent calls are fine.
    public func close() async throws {
        let changeFeed = feed.withLock { state in
            state.closed = true
            return state.feed
        }
        await changeFeed?.stop()
        // Closing a session cannot fail (`PQfinish`), so these calls only report whether they closed.
        var closedAny = (try? await writer.close()) ?? false
        for reader in readers where (try? await reader.close()) ?? false { closedAny = true }
        if closedAny {
            logger.debug("closed PostgreSQL backend", metadata: ["namespace": "\(namespace)"])
        }
    }

    /// A connection on a dedicated thread of its own, opened by `open` there.
    private static func connect(name: String, open: @escaping @Sendable () throws -> PostgresSession) throws
        -> ConnectionThread<PostgresSession>
    {
        try ConnectionThread(name: name, closedError: PostgresError.backendClosed, open: open) { $0.close() }
    }

    private func reader() -> ConnectionThread<PostgresSession> {
        let ticket = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        return readers[Int(ticket.magnitude % UInt(readers.count))]
    }
}
