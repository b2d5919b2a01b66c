import Foundation
import Logging
import Zestor

extension PostgresSession {
    /// How ``commit(_:strategy:)`` sends a batch.
    enum CommitStrategy: Sendable {
        /// One multi-row statement (``PostgresSessionSQL/applyRun``) per run of distinct keys.
        case multiRow
        /// Two statements per mutation (row, then outbox). The reference implementation.
        case perRow
    }

    /// At most this many mutations go into one multi-row statement.
    static let maxRunLength = 2_000
    /// A multi-row statement is closed once its values reach this many bytes (a run always holds
    /// at least one mutation; one `bytea` value may be up to 1 GB).
    static let maxRunBytes = 32 << 20

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
    /// `CommitOutcomeUnknown` when that cannot be found out in time. An SQL error with
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
    /// its `CommitReport/position` the largest outbox id the statements wrote (`nil` when none).
    private func send(_ mutations: [PersistedMutation], strategy: CommitStrategy)
        throws -> (report: CommitReport, largestOutboxID: Int64?) {
        var report = CommitReport()
        var largestID: Int64?
        let lock = namespaceLock()
        let runs = strategy == .multiRow ? try Self.runs(of: mutations) : []
        if runs.count == 1 {
            let run = runs[0]
            let results = try connection.executePipeline([lock, try runStatement(run)])
            (report.staleUpserts, report.unchanged) = unapplied(run, written: results[1])
            largestID = try Self.largestOutboxID(written: results[1])
        } else {
            try connection.executeScript(PostgresSessionSQL.begin)
            do {
                try connection.execute(lock)
                switch strategy {
                case .multiRow:
                    for run in runs {
                        let written = try connection.execute(try runStatement(run))
                        let (stale, unchanged) = unapplied(run, written: written)
                        report.staleUpserts += stale
                        report.unchanged += unchanged
                        if let id = try Self.largestOutboxID(written: written) { largestID = max(largestID ?? id, id) }
                    }
                case .perRow:
                    for (index, mutation) in mutations.enumerated() {
                        switch try applyOne(mutation) {
                        case .stale: report.staleUpserts.append(index)
                        case .unchanged: report.unchanged.append(index)
                        case .written(let id): largestID = max(largestID ?? id, id)
                        }
                    }
                }
                try connection.executeScript(PostgresSessionSQL.commit)
            } catch {
                rollbackIfNeeded(after: error)
                throw error
            }
        }
        report.position = largestID.map { UInt64(clamping: $0) }
        return (report, largestID)
    }

    /// The multi-row statement for `run`: ``PostgresSessionSQL/upsertRun`` when it holds upserts
    /// only, else ``PostgresSessionSQL/applyRun``, with deletes, upserts and expiry changes apart,
    /// each with its position in the run.
    private func runStatement(_ run: ArraySlice<PersistedMutation>) throws -> PostgresStatement {
        if let conditional = run.first, conditional.isCompareAndSwap {
            return try compareAndSwapStatement(conditional)  // a run of its own (`runs(of:)`)
        }
        var deletes = RunColumns(), upserts = RunColumns(), retimes = RunColumns()
        upserts.reserve(run.count)
        for (position, mutation) in run.enumerated() {
            switch mutation {
            case .upsert(let row):
                let version = try row.storableVersion {
                    PostgresError(sqlState: "22003", message: $0, statement: PostgresSessionSQL.applyRun)
                }
                upserts.append(row.kind, row.key, version: version, expiresAt: row.expiresAt, position: position)
                upserts.values.append(row.value)
            case .delete(let kind, let key):
                deletes.append(kind, key, version: 0, expiresAt: nil, position: position)
            case .deleteUnlessNewer(let kind, let key, let version):
                deletes.append(kind, key, version: Int64(clamping: version), expiresAt: nil, position: position)
            case .setExpiry(let kind, let key, let version, let expiresAt):
                retimes.append(kind, key, version: Int64(clamping: version), expiresAt: expiresAt, position: position)
            case .compareAndSet, .compareAndDelete:
                preconditionFailure("a compare-and-set is a run of its own")
            }
        }
        if deletes.keys.isEmpty && retimes.keys.isEmpty {
            return PostgresStatement(sql: PostgresSessionSQL.upsertRun, parameters: [
                .int64(namespace), .text(origin), .textArray(upserts.kinds), .textArray(upserts.keys),
                .byteaArray(upserts.values), .int64Array(upserts.versions), .int64Array(upserts.expires),
            ])
        }
        return PostgresStatement(sql: PostgresSessionSQL.applyRun, parameters: [
            .int64(namespace), .text(origin),
            .textArray(deletes.kinds), .textArray(deletes.keys), .int64Array(deletes.versions),
            .int64Array(deletes.positions),
            .textArray(upserts.kinds), .textArray(upserts.keys), .byteaArray(upserts.values),
            .int64Array(upserts.versions), .int64Array(upserts.expires), .int64Array(upserts.positions),
            .textArray(retimes.kinds), .textArray(retimes.keys), .int64Array(retimes.versions),
            .int64Array(retimes.expires), .int64Array(retimes.positions),
        ])
    }

    /// The statement of a compare-and-set or compare-and-delete: ``PostgresSessionSQL/insertIfAbsent``,
    /// ``PostgresSessionSQL/replaceIfVersion`` or ``PostgresSessionSQL/deleteIfVersion``.
    private func compareAndSwapStatement(_ mutation: PersistedMutation) throws -> PostgresStatement {
        switch mutation {
        case .compareAndSet(let row, let expected):
            let sql = expected == nil ? PostgresSessionSQL.insertIfAbsent : PostgresSessionSQL.replaceIfVersion
            let version = try row.storableVersion { PostgresError(sqlState: "22003", message: $0, statement: sql) }
            var parameters: [PostgresParameter] = [
                .int64(namespace), .text(origin), .text(row.kind), .text(row.key), .bytea(row.value),
                .int64(version), .int64(row.expiresAt ?? 0),
            ]
            if let expected { parameters.append(.int64(Int64(clamping: expected))) }
            return PostgresStatement(sql: sql, parameters: parameters)
        case .compareAndDelete(let kind, let key, let version):
            return PostgresStatement(sql: PostgresSessionSQL.deleteIfVersion, parameters: [
                .int64(namespace), .text(origin), .text(kind), .text(key), .int64(Int64(clamping: version)),
            ])
        case .upsert, .delete, .deleteUnlessNewer, .setExpiry:
            preconditionFailure("not a compare-and-set: \(mutation)")
        }
    }

    /// The parameter arrays of one kind of mutation in a run's statement.
    private struct RunColumns {
        var kinds: [String] = [], keys: [String] = [], values: [[UInt8]] = []
        var versions: [Int64] = [], expires: [Int64] = [], positions: [Int64] = []

        mutating func reserve(_ count: Int) {
            kinds.reserveCapacity(count); keys.reserveCapacity(count); values.reserveCapacity(count)
            versions.reserveCapacity(count); expires.reserveCapacity(count); positions.reserveCapacity(count)
        }

        /// An instant of `nil` (never) is sent as 0: the arrays carry no `NULL`s.
        mutating func append(_ kind: String, _ key: String, version: Int64, expiresAt: Int64?, position: Int) {
            kinds.append(kind)
            keys.append(key)
            versions.append(version)
            expires.append(expiresAt ?? 0)
            positions.append(Int64(position))
        }
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

    /// The positions (in the whole batch) of the mutations of `run` that wrote no outbox row:
    /// the upserts left alone as stale, and the deletes and expiry changes that changed nothing.
    /// `written` holds (kind, key, etype, id) of the outbox rows the run's statement wrote.
    private func unapplied(_ run: ArraySlice<PersistedMutation>, written: PostgresResult) -> (stale: [Int], unchanged: [Int]) {
        // Keys are distinct within a run, so (kind, key) of the outbox rows names what was written
        // (an expiry change writes an `upsert` row).
        var upserted = Set<KindKey>(), deleted = Set<KindKey>()
        for row in 0..<written.rowCount {
            let key = KindKey(kind: written.text(row, 0), key: written.text(row, 1))
            if written.text(row, 2) == OutboxEntry.Operation.upsert.rawValue { upserted.insert(key) } else { deleted.insert(key) }
        }
        var stale: [Int] = [], unchanged: [Int] = []
        for index in run.indices {
            let key = KindKey(kind: run[index].kind, key: run[index].key)
            switch run[index] {
            case .upsert, .compareAndSet: if !upserted.contains(key) { stale.append(index) }
            case .setExpiry: if !upserted.contains(key) { unchanged.append(index) }
            case .delete, .deleteUnlessNewer, .compareAndDelete: if !deleted.contains(key) { unchanged.append(index) }
            }
        }
        return (stale, unchanged)
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
            let version = try row.storableVersion { PostgresError(sqlState: "22003", message: $0, statement: PostgresSessionSQL.upsertRow) }
            let written = try connection.execute(PostgresSessionSQL.upsertRow, [
                .int64(namespace), .text(row.kind), .text(row.key), .bytea(row.value), .int64(version),
                .int64(row.expiresAt ?? 0),
            ], prepared: true)
            guard written.rowCount > 0 else { return .stale }
            return .written(try appendOutbox(row.kind, row.key, value: row.value, version: version, expiresAt: row.expiresAt))
        case .delete(let kind, let key):
            return try deleteOne(kind, key, unlessNewerThan: 0)
        case .deleteUnlessNewer(let kind, let key, let version):
            return try deleteOne(kind, key, unlessNewerThan: Int64(clamping: version))
        case .compareAndSet, .compareAndDelete:
            let written = try connection.execute(try compareAndSwapStatement(mutation))
            guard written.rowCount > 0 else {
                if case .compareAndSet = mutation { return .stale }
                return .unchanged
            }
            return .written(try written.int64(0, 3))
        case .setExpiry(let kind, let key, let version, let expiresAt):
            let changed = try connection.execute(PostgresSessionSQL.retimeRow, [
                .int64(namespace), .text(kind), .text(key), .int64(Int64(clamping: version)), .int64(expiresAt ?? 0),
            ], prepared: true)
            guard changed.rowCount > 0 else { return .unchanged }
            return .written(try appendOutbox(kind, key, value: changed.bytes(0, 0), version: Int64(clamping: version),
                                             expiresAt: expiresAt))
        }
    }

    /// Deletes the row of `kind`/`key` unless its version is above `version` (0: whatever its
    /// version) and appends its outbox row.
    private func deleteOne(_ kind: String, _ key: String, unlessNewerThan version: Int64) throws -> RowOutcome {
        let deleted = try connection.execute(PostgresSessionSQL.deleteRow,
                                             [.int64(namespace), .text(kind), .text(key), .int64(version)], prepared: true)
        guard deleted.rowCount > 0 else { return .unchanged }
        let outbox = try connection.execute(PostgresSessionSQL.appendOutboxDelete, [
            .int64(namespace), .text(kind), .text(key), .text(OutboxEntry.Operation.delete.rawValue),
            .int64(try deleted.int64(0, 0)), .text(origin),
        ], prepared: true)
        return .written(try outbox.int64(0, 0))
    }

    /// Appends the outbox row of an upsert (or an expiry change) of `kind`/`key`; returns its id.
    private func appendOutbox(_ kind: String, _ key: String, value: [UInt8], version: Int64,
                              expiresAt: Int64?) throws -> Int64 {
        let outbox = try connection.execute(PostgresSessionSQL.appendOutbox, [
            .int64(namespace), .text(kind), .text(key), .text(OutboxEntry.Operation.upsert.rawValue),
            .bytea(value), .int64(version), .text(origin), .int64(expiresAt ?? 0),
        ], prepared: true)
        return try outbox.int64(0, 0)
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
            // A compare-and-set is a run of its own, and so ends the run before it.
            let alone = mutation.isCompareAndSwap
            if index > start && (seen.contains(id) || index - start >= maxRunLength || bytes + size > maxRunBytes
                                 || alone || mutations[index - 1].isCompareAndSwap) {
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


}

extension PersistedMutation {
    /// The size of the encoded value (0 for deletes).
    fileprivate var valueCount: Int {
        switch self {
        case .upsert(let row), .compareAndSet(let row, _): row.value.count
        case .delete, .deleteUnlessNewer, .setExpiry, .compareAndDelete: 0
        }
    }

    /// A compare-and-set or compare-and-delete: sent as a statement of its own.
    fileprivate var isCompareAndSwap: Bool {
        switch self {
        case .compareAndSet, .compareAndDelete: true
        case .upsert, .delete, .deleteUnlessNewer, .setExpiry: false
        }
    }
}
