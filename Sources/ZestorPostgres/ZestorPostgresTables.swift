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
    private let connection: PostgresConnection
    private let options: PostgresBackend.Options
    private let logger: Logger
    private var lastPrune: ContinuousClock.Instant?
    /// How many times the connection was reset: a new session, without the old one's `LISTEN`.
    private(set) var resetCount = 0
    /// The largest id of the outbox rows this writer wrote, as far as it knows (every outbox row
    /// with its ``origin`` has an id at most this); `nil` while unknown: before the first commit,
    /// after a ``CommitStrategy/perRow`` commit (its statements return no ids) and after a commit
    /// whose outcome stayed unknown. Then the next commit reads the namespace's high-water mark
    /// (``outboxHighWaterMark()``) instead, which bounds this writer's committed rows as well.
    ///
    /// Why own rows above it belong to the commit in flight, or to none: outbox rows with this
    /// ``origin`` are written only by ``commit(_:strategy:)`` of one instance — the backend's
    /// single writer connection (its read connections and change feed share the origin but never
    /// append to the outbox) — one commit at a time (the writer's thread runs jobs in order), each
    /// in a transaction holding the namespace's advisory lock. So a commit draws its outbox ids
    /// from the id sequence after every earlier own commit ended, and they exceed every earlier
    /// own id, and every id committed in the namespace before it (the high-water mark).
    private(set) var lastOwnOutboxID: Int64?
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

    /// Every row of the namespace, read by one statement (one consistent snapshot).
    func loadAll() throws -> [PersistedRow] {
        try prepareConnection()
        let result = try connection.execute(ZestorPostgresSQL.selectAll, [.int64(namespace)])
        var rows: [PersistedRow] = []
        rows.reserveCapacity(result.rowCount)
        for row in 0..<result.rowCount {
            rows.append(PersistedRow(
                kind: result.text(row, 0),
                key: result.text(row, 1),
                value: result.bytes(row, 2),
                version: UInt64(clamping: try result.int64(row, 3))
            ))
        }
        return rows
    }

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
    /// reconnects and settles it (``resolveInDoubtCommit(_:after:)``), returning the report of a
    /// batch that committed and rethrowing the original error when it did not, or when that cannot
    /// be found out. An SQL error with the session intact surely rolled back and is rethrown as is.
    func commit(_ mutations: [PersistedMutation], strategy: CommitStrategy = .multiRow) throws -> CommitReport {
        try prepareConnection()
        guard !mutations.isEmpty else { return .allApplied }
        let lowerBound = try lastOwnOutboxID ?? outboxHighWaterMark()
        let report: CommitReport
        do {
            let sent = try send(mutations, strategy: strategy)
            report = sent.report
            lastOwnOutboxID = strategy == .perRow ? nil : max(lowerBound, sent.largestOutboxID ?? lowerBound)
        } catch let error as PostgresError where error.isConnectionFailure || connection.isBroken {
            report = try settleAfterConnectionLoss(mutations, after: lowerBound, cause: error)
        }
        pruneIfDue()
        return report
    }

    /// Sends `mutations` as one transaction (see ``commit(_:strategy:)``); returns the report and
    /// the largest outbox id the statements wrote (`nil` when none, or for ``CommitStrategy/perRow``).
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
                    for (index, mutation) in mutations.enumerated() where try !applyOne(mutation) {
                        report.staleUpserts.append(index)
                    }
                }
                try connection.executeScript(ZestorPostgresSQL.commit)
            } catch {
                rollbackIfNeeded(after: error)
                throw error
            }
        }
        return (report, largestID)
    }

    /// Settles a commit of `mutations` that lost its connection (``resolveInDoubtCommit(_:after:)``)
    /// and logs the outcome at warning: returns the report when the batch committed, rethrows
    /// `cause` when it did not or when that cannot be found out (the reconnect or the query
    /// failed). Unless it committed, ``lastOwnOutboxID`` becomes unknown: the next commit re-reads
    /// the high-water mark rather than trust a bound around a transaction of unknown fate.
    private func settleAfterConnectionLoss(_ mutations: [PersistedMutation], after lowerBound: Int64,
                                           cause: PostgresError) throws -> CommitReport {
        let metadata: Logger.Metadata = ["namespace": "\(namespace)", "mutations": "\(mutations.count)", "cause": "\(cause)"]
        let report: CommitReport?
        do {
            report = try resolveInDoubtCommit(mutations, after: lowerBound)
        } catch {
            lastOwnOutboxID = nil
            logger.warning("commit outcome unknown after connection loss; cannot find it out",
                           metadata: metadata.merging(["error": "\(error)"]) { $1 })
            throw cause
        }
        guard let report else {
            lastOwnOutboxID = nil
            logger.warning("commit outcome unknown after connection loss; it did not commit", metadata: metadata)
            throw cause
        }
        logger.warning("commit outcome unknown after connection loss; it committed", metadata: metadata)
        return report
    }

    /// Whether `mutations` — a batch whose ``commit(_:strategy:)`` lost its connection while
    /// ``lastOwnOutboxID`` (or the high-water mark) was `lowerBound` — committed: its report when
    /// it did (and ``lastOwnOutboxID`` advances to its rows), `nil` when it did not. Throws when
    /// the reconnect or the query fails.
    ///
    /// Reconnects if needed, then in one round trip takes the namespace's advisory lock — so a
    /// transaction of the lost session that the server still runs ends first — and reads this
    /// origin's outbox rows above `lowerBound` (``ZestorPostgresSQL/selectOwnOutbox``). By the
    /// invariant of ``lastOwnOutboxID`` they can only be this batch's: none means it did not
    /// commit, or committed without changing anything (all upserts stale, deletes of missing
    /// keys), which a rethrown error reports truthfully; else ``matchCommitted(_:to:)`` rebuilds
    /// the report. Rows that do not match the batch (the invariant broken, e.g. an origin shared
    /// by two writers) are logged as an error and give `nil`.
    func resolveInDoubtCommit(_ mutations: [PersistedMutation], after lowerBound: Int64) throws -> CommitReport? {
        try prepareConnection()
        let select = PostgresStatement(sql: ZestorPostgresSQL.selectOwnOutbox, parameters: [
            .int64(namespace), .text(origin), .int64(lowerBound), .int64(Int64(mutations.count) + 1),
        ])
        let result = try connection.executePipeline([namespaceLock(), select])[1]
        var rows: [OwnOutboxRow] = []
        rows.reserveCapacity(result.rowCount)
        for row in 0..<result.rowCount {
            rows.append(OwnOutboxRow(id: try result.int64(row, 0), kind: result.text(row, 1), key: result.text(row, 2),
                                     etype: result.text(row, 3), version: try result.int64(row, 4)))
        }
        guard let last = rows.last else { return nil }
        guard let report = Self.matchCommitted(mutations, to: rows) else {
            logger.error("own outbox rows after a commit of unknown outcome do not match its batch", metadata: [
                "namespace": "\(namespace)", "origin": "\(origin)", "after": "\(lowerBound)", "rows": "\(rows.count)",
            ])
            return nil
        }
        lastOwnOutboxID = max(lastOwnOutboxID ?? last.id, last.id)
        return report
    }

    /// An outbox row this writer wrote, as ``resolveInDoubtCommit(_:after:)`` reads it back.
    struct OwnOutboxRow: Sendable, Hashable {
        var id: Int64
        var kind: String
        var key: String
        var etype: String
        var version: Int64
    }

    /// The report of `mutations` if `rows` (in id order) are exactly the outbox rows that batch
    /// wrote; `nil` when `rows` is empty or is not.
    ///
    /// A commit appends one outbox row per mutation that changed a row, in mutation order (run
    /// after run, each in position order). So walking the mutations, each takes the next row when
    /// it matches: an upsert on (kind, key, `upsert`, version) — without one it was stale —, a
    /// delete on (kind, key, `delete`) — the row's version is the removed row's, which the
    /// mutation does not carry; without one it removed nothing. Taking a matching row is never
    /// wrong although a key may repeat across the runs of a batch: after a mutation that changed
    /// nothing, a later one of the same key can write that same row only once some write in
    /// between changed the stored row (a delete lowering the version, an upsert creating it),
    /// and that write's row comes first. Rows left over, or an `etype` other than these two,
    /// mean the rows are not this batch's.
    static func matchCommitted(_ mutations: [PersistedMutation], to rows: [OwnOutboxRow]) -> CommitReport? {
        guard !rows.isEmpty else { return nil }
        var report = CommitReport()
        var next = rows.startIndex
        for (index, mutation) in mutations.enumerated() {
            let row = next < rows.endIndex ? rows[next] : nil
            switch mutation {
            case .upsert(let upsert):
                if let row, row.etype == OutboxEntry.Operation.upsert.rawValue, row.kind == upsert.kind,
                   row.key == upsert.key, Int64(exactly: upsert.version) == row.version {
                    next += 1
                } else {
                    report.staleUpserts.append(index)
                }
            case .delete(let kind, let key):
                if let row, row.etype == OutboxEntry.Operation.delete.rawValue, row.kind == kind, row.key == key {
                    next += 1
                }
            }
        }
        return next == rows.endIndex ? report : nil
    }

    /// Up to `limit` outbox rows of the namespace with an id above `id`, in id order.
    func outbox(after id: Int64, limit: Int) throws -> [OutboxEntry] {
        try prepareConnection()
        let result = try connection.execute(ZestorPostgresSQL.selectOutbox,
                                            [.int64(namespace), .int64(id), .int64(Int64(max(limit, 0)))], prepared: true)
        var entries: [OutboxEntry] = []
        entries.reserveCapacity(result.rowCount)
        for row in 0..<result.rowCount {
            let value = result.isNull(row, 4) ? nil : result.bytes(row, 4)
            entries.append(OutboxEntry(
                id: try result.int64(row, 0),
                kind: result.text(row, 1),
                key: result.text(row, 2),
                etype: OutboxEntry.Operation(storedType: result.text(row, 3), value: value),
                value: value,
                version: UInt64(clamping: try result.int64(row, 5)),
                origin: result.text(row, 6)
            ))
        }
        return entries
    }

    /// The namespace's largest outbox id, 0 when it has none.
    func outboxHighWaterMark() throws -> Int64 {
        try prepareConnection()
        return try connection.execute(ZestorPostgresSQL.outboxHighWaterMark, [.int64(namespace)]).int64(0, 0)
    }

    /// Removes the namespace's outbox rows older than ``PostgresBackend/Options/outboxRetention``
    /// that every live reader has drained (see ``recordCursor(lastID:)``), and forgets readers
    /// that stopped refreshing their cursor. Returns how many outbox rows were removed.
    @discardableResult
    func pruneOutbox() throws -> Int {
        try prepareConnection()
        lastPrune = .now
        let seconds = Int64(clamping: options.outboxRetention.components.seconds)
        let liveness = Int64(Self.cursorLiveness.components.seconds)
        try connection.execute(ZestorPostgresSQL.pruneCursors, [.int64(namespace), .int64(liveness)])
        return try connection.execute(ZestorPostgresSQL.pruneOutbox,
                                      [.int64(namespace), .int64(seconds), .int64(liveness)]).affectedRows
    }

    /// How long a reader's cursor protects the outbox rows it has not drained without being
    /// refreshed (change feeds refresh theirs on every drain, at least every few seconds).
    static var cursorLiveness: Duration { .seconds(300) }

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
    private func prepareConnection() throws {
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
    private func namespaceLock() -> PostgresStatement {
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

    /// Runs one mutation with per-row statements; returns false for an upsert left alone.
    private func applyOne(_ mutation: PersistedMutation) throws -> Bool {
        switch mutation {
        case .upsert(let row):
            let version = try Self.storableVersion(row, statement: ZestorPostgresSQL.upsertRow)
            let written = try connection.execute(ZestorPostgresSQL.upsertRow, [
                .int64(namespace), .text(row.kind), .text(row.key), .bytea(row.value), .int64(version),
            ], prepared: true)
            guard written.rowCount > 0 else { return false }
            try connection.execute(ZestorPostgresSQL.appendOutbox, [
                .int64(namespace), .text(row.kind), .text(row.key), .text(OutboxEntry.Operation.upsert.rawValue),
                .bytea(row.value), .int64(version), .text(origin),
            ], prepared: true)
        case .delete(let kind, let key):
            let deleted = try connection.execute(ZestorPostgresSQL.deleteRow, [.int64(namespace), .text(kind), .text(key)],
                                                prepared: true)
            guard deleted.rowCount > 0 else { return true }
            try connection.execute(ZestorPostgresSQL.appendOutboxDelete, [
                .int64(namespace), .text(kind), .text(key), .text(OutboxEntry.Operation.delete.rawValue),
                .int64(try deleted.int64(0, 0)), .text(origin),
            ], prepared: true)
        }
        return true
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
