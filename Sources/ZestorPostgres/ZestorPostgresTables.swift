import Foundation
import Logging
import Zestor

/// The `zestor_kv` and `zestor_outbox` tables of one namespace on one connection: session
/// setup, schema, bulk load, transactional commit, outbox reads and pruning.
///
/// Everything here blocks in libpq. In ``PostgresBackend`` each instance — its connection — is
/// created, used and closed only on its ``ConnectionWorker``'s thread (``ThreadConfined``).
///
/// A broken connection (server restart, network loss) is reset at the start of the next call;
/// the call that saw it break throws and is never retried here. A commit whose reply was lost
/// with the connection is settled instead: ``commit(_:strategy:)`` reconnects and reads back its
/// own outbox rows (``resolveInDoubtCommit(_:after:)``), so it throws only when the batch did not
/// commit or its outcome could not be found out.
final class ZestorPostgresTables {
    /// How ``commit(_:)`` sends a batch.
    enum CommitStrategy: Sendable {
        /// One multi-row statement (``ZestorPostgresSQL/applyRun``) per run of distinct keys.
        case multiRow
        /// Two statements per mutation (row, then outbox). The reference implementation.
        case perRow
    }

    /// At most this many mutations go into one multi-row statement.
    static let maxRunLength = 2_000
    /// A multi-row statement is closed once its values reach this many bytes (a run always holds
    /// at least one mutation; one `bytea` value may be up to 1 GB).
    static let maxRunBytes = 32 << 20

    let namespace: Int64
    let origin: String
    /// Used only through the methods here and in the `ZestorPostgresTables+…` files, on the
    /// owning thread.
    let connection: PostgresConnection
    let options: PostgresBackend.Options
    let logger: Logger
    private var lastPrune: ContinuousClock.Instant?
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

    /// Applies `mutations` in one transaction — `zestor_kv` and the outbox together — holding the
    /// namespace's advisory lock; on any failure rolls back and rethrows. An empty batch does
    /// nothing. Afterwards prunes the outbox when due.
    ///
    /// A batch that is one run (the usual group commit) costs one round trip: lock and run are
    /// pipelined as one implicit transaction (``PostgresConnection/executePipeline(_:)``). Longer
    /// batches run statement by statement inside `BEGIN` … `COMMIT`.
    ///
    /// When the connection fails during the commit (``PostgresError/isConnectionFailure``, or the
    /// session is gone), the server may have committed before the reply was lost: the commit
    /// settles it (``settleAfterConnectionLoss(_:after:cause:)``), retrying to reconnect for up to
    /// ``PostgresBackend/Options/operationTimeout``: it returns the report of a batch that
    /// committed, rethrows the original error when it did not, and throws
    /// ``Zestor/CommitOutcomeUnknown`` when that cannot be found out in time. An SQL error with
    /// the session intact surely rolled back and is rethrown as is.
    func commit(_ mutations: [PersistedMutation], strategy: CommitStrategy = .multiRow) throws -> CommitReport {
        try prepareConnection()
        guard !mutations.isEmpty else { return .allApplied }
        let lowerBound = try lastOwnOutboxID ?? outboxHighWaterMark()
        let report: CommitReport
        do {
            let sent = try send(mutations, strategy: strategy)
            report = sent.report
            lastOwnOutboxID = max(lowerBound, sent.largestOutboxID ?? lowerBound)
        } catch let error as PostgresError where error.isConnectionFailure || connection.isBroken {
            report = try settleAfterConnectionLoss(mutations, after: lowerBound, cause: error)
        }
        pruneIfDue()
        return report
    }

    /// Sends `mutations` as one transaction (see ``commit(_:strategy:)``); returns the report —
    /// its ``CommitReport/position`` the largest outbox id the statements wrote (`nil` when none).
    private func send(_ mutations: [PersistedMutation], strategy: CommitStrategy)
        throws -> (report: CommitReport, largestOutboxID: Int64?) {
        var report = CommitReport()
        var largestID: Int64?
        let lock = namespaceLock()
        let runs = strategy == .multiRow ? try Self.runs(of: mutations) : []
        if runs.count == 1 {
            let run = runs[0]
            let results = try connection.executePipeline([lock, try runStatement(run)])
            report.staleUpserts = staleUpserts(of: run, written: results[1])
            largestID = try Self.largestOutboxID(written: results[1])
        } else {
            try connection.executeScript(ZestorPostgresSQL.begin)
            do {
                try connection.execute(lock)
                switch strategy {
                case .multiRow:
                    for run in runs {
                        let written = try connection.execute(try runStatement(run))
                        report.staleUpserts += staleUpserts(of: run, written: written)
                        if let id = try Self.largestOutboxID(written: written) { largestID = max(largestID ?? id, id) }
                    }
                case .perRow:
                    for (index, mutation) in mutations.enumerated() {
                        switch try applyOne(mutation) {
                        case .stale: report.staleUpserts.append(index)
                        case .unchanged: break
                        case .written(let id): largestID = max(largestID ?? id, id)
                        }
                    }
                }
                try connection.executeScript(ZestorPostgresSQL.commit)
            } catch {
                rollbackIfNeeded(after: error)
                throw error
            }
        }
        report.position = largestID.map { UInt64(clamping: $0) }
        return (report, largestID)
    }

    /// Up to `limit` outbox rows of the namespace with an id above `id`, in id order.
    func outbox(after id: Int64, limit: Int) throws -> [OutboxEntry] {
        try prepareConnection()
        let result = try connection.execute(ZestorPostgresSQL.selectOutbox,
                                            [.int64(namespace), .int64(id), .int64(Int64(max(limit, 0)))], prepared: true)
        return try Self.outboxEntries(result, from: 0)
    }

    /// Up to `limit` outbox rows of the namespace with an id above `id`, in id order, and — in
    /// the same snapshot — the largest id ever pruned from the namespace's outbox (0 if none):
    /// when it exceeds `id`, rows after `id` are gone and the page does not follow on from `id`.
    func outboxPage(after id: Int64, limit: Int) throws -> (prunedThrough: Int64, entries: [OutboxEntry]) {
        try prepareConnection()
        let result = try connection.execute(ZestorPostgresSQL.selectOutboxPage,
                                            [.int64(namespace), .int64(id), .int64(Int64(max(limit, 0)))], prepared: true)
        let prunedThrough = try result.int64(0, 0)
        return (prunedThrough, try Self.outboxEntries(result, from: 1))
    }

    /// The outbox rows of `result`, whose columns from `first` on are those of
    /// ``ZestorPostgresSQL/selectOutbox``; rows whose id is `NULL` (no match of an outer join) are skipped.
    private static func outboxEntries(_ result: PostgresResult, from first: Int) throws -> [OutboxEntry] {
        var entries: [OutboxEntry] = []
        entries.reserveCapacity(result.rowCount)
        for row in 0..<result.rowCount where !result.isNull(row, first) {
            let value = result.isNull(row, first + 4) ? nil : result.bytes(row, first + 4)
            entries.append(OutboxEntry(
                id: try result.int64(row, first),
                kind: result.text(row, first + 1),
                key: result.text(row, first + 2),
                etype: OutboxEntry.Operation(storedType: result.text(row, first + 3), value: value),
                value: value,
                version: UInt64(clamping: try result.int64(row, first + 5)),
                origin: result.text(row, first + 6)
            ))
        }
        return entries
    }

    /// The namespace's position in its commit order: its largest outbox id, or the largest id
    /// pruned from its outbox if greater; 0 when it has none.
    func outboxHighWaterMark() throws -> Int64 {
        try prepareConnection()
        return try connection.execute(ZestorPostgresSQL.outboxHighWaterMark, [.int64(namespace)]).int64(0, 0)
    }

    /// Removes the namespace's outbox rows older than ``PostgresBackend/Options/outboxRetention``
    /// that every live reader has drained (see ``recordCursor(lastID:)``), and forgets readers
    /// that stopped refreshing their cursor within ``PostgresBackend/Options/outboxCursorLiveness``.
    /// Records the largest id removed, so that a reader left behind detects the gap. Returns how
    /// many outbox rows were removed.
    @discardableResult
    func pruneOutbox() throws -> Int {
        try prepareConnection()
        lastPrune = .now
        let seconds = Int64(clamping: options.outboxRetention.components.seconds)
        let liveness = Int64(clamping: options.outboxCursorLiveness.components.seconds)
        try connection.execute(ZestorPostgresSQL.pruneCursors, [.int64(namespace), .int64(liveness)])
        let removed = try connection.execute(ZestorPostgresSQL.pruneOutbox,
                                             [.int64(namespace), .int64(seconds), .int64(liveness)])
        return Int(try removed.int64(0, 0))
    }

    /// Records that this origin's change feed has drained the outbox up to `lastID`.
    func recordCursor(lastID: Int64) throws {
        try prepareConnection()
        try connection.execute(ZestorPostgresSQL.recordCursor, [.int64(namespace), .text(origin), .int64(lastID)],
                               prepared: true)
    }

    /// Removes this origin's cursor (its change feed stopped).
    func dropCursor() throws {
        try prepareConnection()
        try connection.execute(ZestorPostgresSQL.dropCursor, [.int64(namespace), .text(origin)])
    }

    /// Runs `sql` with `parameters` on this connection (tests and diagnostics).
    func query(_ sql: String, _ parameters: [PostgresParameter]) throws -> PostgresResult {
        try prepareConnection()
        return try connection.execute(sql, parameters)
    }

    /// Whether the connection is broken (the next call resets it, which drops any `LISTEN`).
    var isBroken: Bool { connection.isBroken }

    /// The connection's socket, for `poll` (−1 when closed).
    var socket: Int32 { connection.socket }

    /// Resets a broken connection and subscribes it to ``ZestorPostgresSQL/channel``.
    func listen() throws {
        try prepareConnection()
        try connection.executeScript(ZestorPostgresSQL.listen)
    }

    /// The `NOTIFY` messages that arrived on this connection (tests).
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

    // MARK: Schema

    /// Creates the tables, index, function and trigger unless they all exist; concurrent
    /// creators serialize on an advisory lock inside one transaction.
    static func createSchemaIfMissing(on connection: PostgresConnection, logger: Logger) throws {
        if try connection.execute(ZestorPostgresSQL.schemaExists).bool(0, 0) { return }
        try connection.executeScript(ZestorPostgresSQL.begin)
        do {
            try connection.execute(ZestorPostgresSQL.advisoryLock,
                                   [.int64(Int64(ZestorPostgresSQL.schemaLockClass)), .int64(0)])
            try connection.executeScript(ZestorPostgresSQL.createSchema)
            try connection.executeScript(ZestorPostgresSQL.commit)
        } catch {
            if connection.isInTransaction { try? connection.executeScript(ZestorPostgresSQL.rollback) }
            throw error
        }
        logger.debug("created zestor schema", metadata: ["endpoint": "\(connection.endpoint)"])
    }

    // MARK: Helpers

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
            try connection.execute(ZestorPostgresSQL.setConfig, [.text(name), .text(value)])
        }
    }

    /// The namespace's advisory lock (``ZestorPostgresSQL/advisoryLock``), held until the
    /// transaction ends.
    func namespaceLock() -> PostgresStatement {
        PostgresStatement(sql: ZestorPostgresSQL.advisoryLock, parameters: [
            .int64(Int64(ZestorPostgresSQL.namespaceLockClass)), .int64(Self.lockID(namespace)),
        ])
    }

    /// The multi-row statement for `run`: ``ZestorPostgresSQL/upsertRun`` when it holds upserts
    /// only, else ``ZestorPostgresSQL/applyRun``, with deletes and upserts apart, each with its
    /// position in the run.
    private func runStatement(_ run: ArraySlice<PersistedMutation>) throws -> PostgresStatement {
        var deleteKinds: [String] = [], deleteKeys: [String] = [], deletePositions: [Int64] = []
        var upsertKinds: [String] = [], upsertKeys: [String] = [], upsertPositions: [Int64] = []
        var values: [[UInt8]] = [], versions: [Int64] = []
        upsertKinds.reserveCapacity(run.count); upsertKeys.reserveCapacity(run.count)
        upsertPositions.reserveCapacity(run.count); values.reserveCapacity(run.count); versions.reserveCapacity(run.count)
        for (position, mutation) in run.enumerated() {
            switch mutation {
            case .upsert(let row):
                upsertKinds.append(row.kind)
                upsertKeys.append(row.key)
                values.append(row.value)
                versions.append(try Self.storableVersion(row, statement: ZestorPostgresSQL.applyRun))
                upsertPositions.append(Int64(position))
            case .delete(let kind, let key):
                deleteKinds.append(kind)
                deleteKeys.append(key)
                deletePositions.append(Int64(position))
            }
        }
        if deleteKeys.isEmpty {
            return PostgresStatement(sql: ZestorPostgresSQL.upsertRun, parameters: [
                .int64(namespace), .text(origin),
                .textArray(upsertKinds), .textArray(upsertKeys), .byteaArray(values), .int64Array(versions),
            ])
        }
        return PostgresStatement(sql: ZestorPostgresSQL.applyRun, parameters: [
            .int64(namespace), .text(origin),
            .textArray(deleteKinds), .textArray(deleteKeys), .int64Array(deletePositions),
            .textArray(upsertKinds), .textArray(upsertKeys), .byteaArray(values), .int64Array(versions),
            .int64Array(upsertPositions),
        ])
    }

    /// The largest outbox id a run's statement wrote (`written` column 3), `nil` when it wrote none.
    private static func largestOutboxID(written: PostgresResult) throws -> Int64? {
        var largest: Int64?
        for row in 0..<written.rowCount {
            let id = try written.int64(row, 3)
            largest = max(largest ?? id, id)
        }
        return largest
    }

    /// The positions (in the whole batch) of the upserts of `run` that wrote no outbox row:
    /// `written` holds (kind, key, etype, id) of the outbox rows the run's statement wrote.
    private func staleUpserts(of run: ArraySlice<PersistedMutation>, written: PostgresResult) -> [Int] {
        // Keys are distinct within a run, so (kind, key) of the outbox rows names what was written.
        var upserted = Set<KindKey>()
        for row in 0..<written.rowCount where written.text(row, 2) == OutboxEntry.Operation.upsert.rawValue {
            upserted.insert(KindKey(kind: written.text(row, 0), key: written.text(row, 1)))
        }
        return run.indices.filter { index in
            guard case .upsert(let row) = run[index] else { return false }
            return !upserted.contains(KindKey(kind: row.kind, key: row.key))
        }
    }

    /// What one per-row mutation did.
    private enum RowOutcome {
        /// It changed the row and wrote the outbox row with this id.
        case written(Int64)
        /// An upsert left alone: the stored version is not older.
        case stale
        /// A delete of a missing row.
        case unchanged
    }

    /// Runs one mutation with per-row statements.
    private func applyOne(_ mutation: PersistedMutation) throws -> RowOutcome {
        switch mutation {
        case .upsert(let row):
            let version = try Self.storableVersion(row, statement: ZestorPostgresSQL.upsertRow)
            let written = try connection.execute(ZestorPostgresSQL.upsertRow, [
                .int64(namespace), .text(row.kind), .text(row.key), .bytea(row.value), .int64(version),
            ], prepared: true)
            guard written.rowCount > 0 else { return .stale }
            let outbox = try connection.execute(ZestorPostgresSQL.appendOutbox, [
                .int64(namespace), .text(row.kind), .text(row.key), .text(OutboxEntry.Operation.upsert.rawValue),
                .bytea(row.value), .int64(version), .text(origin),
            ], prepared: true)
            return .written(try outbox.int64(0, 0))
        case .delete(let kind, let key):
            let deleted = try connection.execute(ZestorPostgresSQL.deleteRow, [.int64(namespace), .text(kind), .text(key)],
                                                prepared: true)
            guard deleted.rowCount > 0 else { return .unchanged }
            let outbox = try connection.execute(ZestorPostgresSQL.appendOutboxDelete, [
                .int64(namespace), .text(kind), .text(key), .text(OutboxEntry.Operation.delete.rawValue),
                .int64(try deleted.int64(0, 0)), .text(origin),
            ], prepared: true)
            return .written(try outbox.int64(0, 0))
        }
    }

    /// Splits `mutations` into consecutive runs in which no (kind, key) repeats and which hold at
    /// most ``maxRunLength`` mutations, so each run can be one multi-row statement
    /// (`ON CONFLICT DO UPDATE` may not touch a row twice) while order per key is kept.
    static func runs(of mutations: [PersistedMutation]) throws -> [ArraySlice<PersistedMutation>] {
        var runs: [ArraySlice<PersistedMutation>] = []
        var start = mutations.startIndex
        var seen = Set<KindKey>()
        var bytes = 0
        for index in mutations.indices {
            let mutation = mutations[index]
            let id = KindKey(kind: mutation.kind, key: mutation.key)
            let size = mutation.kind.utf8.count + mutation.key.utf8.count + mutation.valueCount + 64
            if index > start && (seen.contains(id) || index - start >= maxRunLength || bytes + size > maxRunBytes) {
                runs.append(mutations[start..<index])
                start = index
                seen.removeAll(keepingCapacity: true)
                bytes = 0
            }
            seen.insert(id)
            bytes += size
        }
        if start < mutations.endIndex { runs.append(mutations[start...]) }
        return runs
    }

    fileprivate struct KindKey: Hashable {
        var kind: String
        var key: String
    }

    private static func storableVersion(_ row: PersistedRow, statement: String) throws -> Int64 {
        guard let version = Int64(exactly: row.version) else {
            throw PostgresError(sqlState: "22003",
                                message: "version \(row.version) of \(row.kind)/\(row.key) exceeds BIGINT",
                                statement: statement)
        }
        return version
    }

    /// The advisory lock id of a namespace: its 64 bits folded into 32 (collisions only make two
    /// namespaces' writers wait for each other).
    static func lockID(_ namespace: Int64) -> Int64 {
        Int64(Int32(truncatingIfNeeded: namespace ^ (namespace >> 32)))
    }

    private func pruneIfDue() {
        let interval = options.outboxPruneInterval
        if let lastPrune, ContinuousClock.now - lastPrune < interval { return }
        do {
            let removed = try pruneOutbox()
            if removed > 0 {
                logger.debug("pruned outbox", metadata: ["namespace": "\(namespace)", "rows": "\(removed)"])
            }
        } catch {
            logger.warning("outbox pruning failed", metadata: ["namespace": "\(namespace)", "error": "\(error)"])
        }
    }

    /// Rolls back the open transaction, if the connection still has one.
    private func rollbackIfNeeded(after error: any Error) {
        guard connection.isInTransaction else { return }
        do {
            try connection.executeScript(ZestorPostgresSQL.rollback)
        } catch let rollbackError {
            logger.error("ROLLBACK failed", metadata: ["error": "\(rollbackError)", "cause": "\(error)"])
        }
    }
}

extension PersistedMutation {
    /// The size of the encoded value (0 for deletes).
    fileprivate var valueCount: Int {
        switch self {
        case .upsert(let row): row.value.count
        case .delete: 0
        }
    }
}
