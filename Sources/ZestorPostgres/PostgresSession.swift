import Foundation
import Logging
import Zestor

/// The `zestor_kv` and `zestor_outbox` tables of one namespace on one connection — the
/// PostgreSQL counterpart of `SQLiteSession`. This file holds the session: connection, settings
/// and reconnection; the other concerns live in `PostgresSession+Schema` (creation and
/// migration), `+Commit` (transactional writes), `+InDoubt` (commits whose reply was lost),
/// `+Reads` (bulk and keyed loads) and `+Outbox` (the change log, reader cursors and pruning).
///
/// Everything here blocks in libpq. In ``PostgresBackend`` each instance — its connection — is
/// created, used and closed only on its `ConnectionThread`'s thread (`ThreadConfined`).
///
/// A broken connection (server restart, network loss) is reset at the start of the next call;
/// the call that saw it break throws and is never retried here. A commit whose reply was lost
/// with the connection is settled instead: ``commit(_:strategy:)`` reconnects and reads back its
/// own outbox rows (``resolveInDoubtCommit(_:after:)``), so it throws only when the batch did not
/// commit or its outcome could not be found out.
final class PostgresSession {
    let namespace: Int64
    let origin: String
    /// Used only through the methods here and in the `PostgresSession+…` files, on the
    /// owning thread.
    let connection: PostgresConnection
    let options: PostgresBackend.Options
    let logger: Logger
    /// When ``pruneOutbox()`` last ran; read by the prune that commits trigger.
    var lastPrune: ContinuousClock.Instant?
    /// How many times the connection was reset: a new session, without the old one's `LISTEN`.
    private(set) var resetCount = 0
    /// The largest id of the outbox rows this writer wrote, as far as it knows (every outbox row
    /// with its ``origin`` has an id at most this); `nil` while unknown: before the first commit
    /// and after a commit whose outcome stayed unknown or that did not commit. Then the next
    /// commit reads the namespace's high-water mark (``outboxHighWaterMark()``) instead, which
    /// bounds this writer's committed rows as well.
    ///
    /// Why own rows above it belong to the commit in flight, or to none: outbox rows with this
    /// ``origin`` are written only by ``commit(_:strategy:)`` of one instance — the backend's
    /// single writer connection (its read connections and change feed share the origin but never
    /// append to the outbox) — one commit at a time (the writer's thread runs jobs in order), each
    /// in a transaction holding the namespace's advisory lock. So a commit draws its outbox ids
    /// from the id sequence after every earlier own commit ended, and they exceed every earlier
    /// own id, and every id committed in the namespace before it (the high-water mark).
    var lastOwnOutboxID: Int64?
    private var isClosed = false

    /// Connects, configures the session and, with `createSchema`, creates the schema if missing.
    init(url: String, namespace: Int64, origin: String, options: PostgresBackend.Options,
         createSchema: Bool, applicationName: String = "zestor-swift", logger: Logger) throws {
        let connection = try PostgresConnection(
            url: url,
            connectTimeoutSeconds: Int((options.operationTimeoutMilliseconds + 999) / 1000),
            tcpUserTimeoutMilliseconds: Int(options.operationTimeoutMilliseconds),
            applicationName: applicationName
        )
        self.connection = connection
        self.namespace = namespace
        self.origin = origin
        self.options = options
        self.logger = logger
        try configureSession()
        if createSchema { try Self.createSchemaIfMissing(on: connection, logger: logger) }
    }

    deinit {
        close()
    }

    /// `host:port/database`, for logs.
    var endpoint: String { connection.endpoint }

    /// Whether the connection is broken (the next call resets it, which drops any `LISTEN`).
    var isBroken: Bool { connection.isBroken }

    /// The connection's socket, for `poll` (−1 when closed).
    var socket: Int32 { connection.socket }

    /// The `NOTIFY` messages that arrived on this connection (the change feed waits for them).
    func consumeNotifications() throws -> [(channel: String, payload: String)] {
        try prepareConnection()
        return try connection.consumeNotifications()
    }

    /// Closes the connection. Idempotent.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        connection.close()
    }

    // MARK: Session

    /// Reconnects a broken connection and re-applies the session settings; throws
    /// ``PostgresError/backendClosed`` once closed.
    func prepareConnection() throws {
        guard !isClosed else { throw PostgresError.backendClosed }
        guard connection.isBroken else { return }
        logger.warning("PostgreSQL connection lost; reconnecting", metadata: ["namespace": "\(namespace)"])
        resetCount += 1
        try connection.reset()
        try configureSession()
    }

    private func configureSession() throws {
        let settings = [
            ("statement_timeout", String(options.operationTimeoutMilliseconds)),
            ("lock_timeout", String(options.operationTimeoutMilliseconds)),
            ("client_min_messages", "warning"),
        ]
        for (name, value) in settings {
            try connection.execute(PostgresSessionSQL.setConfig, [.text(name), .text(value)])
        }
    }

    /// The namespace's advisory lock (``PostgresSessionSQL/advisoryLock``), held until the
    /// transaction ends.
    func namespaceLock() -> PostgresStatement {
        PostgresStatement(sql: PostgresSessionSQL.advisoryLock, parameters: [
            .int64(Int64(PostgresSessionSQL.namespaceLockClass)), .int64(Self.lockID(namespace)),
        ])
    }

    /// The advisory lock id of a namespace: its 64 bits folded into 32 (collisions only make two
    /// namespaces' writers wait for each other).
    static func lockID(_ namespace: Int64) -> Int64 {
        Int64(Int32(truncatingIfNeeded: namespace ^ (namespace >> 32)))
    }
}

extension PostgresSession: TransactionalSession {
    var isInTransaction: Bool { connection.isInTransaction }

    func rollback() throws {
        try connection.executeScript(PostgresSessionSQL.rollback)
    }
}
