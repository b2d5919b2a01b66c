import Foundation
import Logging
import Zestor

/// Settling a commit whose connection was lost before its reply arrived: did the server commit it?
extension PostgresSession {
    /// What the own outbox rows after a commit of unknown outcome say about it.
    enum Resolution: Sendable, Hashable {
        /// It committed; the report is rebuilt from its outbox rows.
        case committed(CommitReport)
        /// It did not commit (or committed without changing any row, which is the same to a caller).
        case notCommitted
        /// The rows do not match the batch (the invariant of ``lastOwnOutboxID`` broken, e.g. an
        /// origin shared by two writers): nothing can be concluded.
        case unrecognized
    }

    /// The pauses between two attempts to settle a commit: 50 ms doubling to 1 s.
    static var settleBackoff: Backoff { Backoff(initial: .milliseconds(50), maximum: .seconds(1)) }

    /// Settles a commit of `mutations` that lost its connection while ``lastOwnOutboxID`` (or the
    /// high-water mark) was `lowerBound`, and logs the outcome at warning.
    ///
    /// Retries ``resolveInDoubtCommit(_:after:)`` — reconnecting each time — with backoff
    /// (``settleBackoff``) until it answers or
    /// ``PostgresBackend/Options/operationTimeout`` has passed since the loss: a server that
    /// crashed and restarts within that time is asked once it accepts connections again. Returns
    /// the report when the batch committed; rethrows `cause` when it did not (nothing happened, a
    /// retry is a plain retry); throws `CommitOutcomeUnknown` when the rows do not match
    /// or the server stayed unreachable. Unless it committed, ``lastOwnOutboxID`` becomes unknown:
    /// the next commit re-reads the high-water mark rather than trust a bound around a
    /// transaction of unknown fate.
    func settleAfterConnectionLoss(_ mutations: [PersistedMutation], after lowerBound: Int64,
                                   cause: PostgresError) throws -> CommitReport {
        let metadata: Logger.Metadata = ["namespace": "\(namespace)", "mutations": "\(mutations.count)", "cause": "\(cause)"]
        let deadline = ContinuousClock.now + options.operationTimeout
        var backoff = Self.settleBackoff
        var attempts = 0
        while true {
            attempts += 1
            let resolution: Resolution
            do {
                resolution = try resolveInDoubtCommit(mutations, after: lowerBound)
            } catch {
                if (error as? PostgresError) == .backendClosed || ContinuousClock.now + backoff.current > deadline {
                    lastOwnOutboxID = nil
                    logger.warning("commit outcome unknown after connection loss; cannot find it out",
                                   metadata: metadata.merging(["error": "\(error)", "attempts": "\(attempts)"]) { $1 })
                    throw CommitOutcomeUnknown(cause: cause)
                }
                Thread.sleep(forTimeInterval: backoff.next().inSeconds)
                continue
            }
            switch resolution {
            case .committed(let report):
                logger.warning("commit outcome unknown after connection loss; it committed",
                               metadata: metadata.merging(["attempts": "\(attempts)"]) { $1 })
                return report
            case .notCommitted:
                lastOwnOutboxID = nil
                logger.warning("commit outcome unknown after connection loss; it did not commit",
                               metadata: metadata.merging(["attempts": "\(attempts)"]) { $1 })
                throw cause
            case .unrecognized:
                lastOwnOutboxID = nil
                throw CommitOutcomeUnknown(cause: cause)
            }
        }
    }

    /// Whether `mutations` — a batch whose ``commit(_:strategy:)`` lost its connection while
    /// ``lastOwnOutboxID`` (or the high-water mark) was `lowerBound` — committed; when it did,
    /// ``lastOwnOutboxID`` advances to its rows. Throws when the reconnect or the query fails.
    ///
    /// Reconnects if needed, then in one round trip takes the namespace's advisory lock — so a
    /// transaction of the lost session that the server still runs ends first — and reads this
    /// origin's outbox rows above `lowerBound` (``PostgresSessionSQL/selectOwnOutbox``). By the
    /// invariant of ``lastOwnOutboxID`` they can only be this batch's: none means it did not
    /// commit, or committed without changing anything (all upserts stale, deletes of missing
    /// keys), which a rethrown error reports truthfully; else ``matchCommitted(_:to:)`` rebuilds
    /// the report. Rows that do not match the batch are logged as an error.
    func resolveInDoubtCommit(_ mutations: [PersistedMutation], after lowerBound: Int64) throws -> Resolution {
        try prepareConnection()
        let select = PostgresStatement(sql: PostgresSessionSQL.selectOwnOutbox, parameters: [
            .int64(namespace), .text(origin), .int64(lowerBound), .int64(Int64(mutations.count) + 1),
        ])
        let result = try connection.executePipeline([namespaceLock(), select])[1]
        var rows: [OwnOutboxRow] = []
        rows.reserveCapacity(result.rowCount)
        for row in 0..<result.rowCount {
            rows.append(OwnOutboxRow(id: try result.int64(row, 0), kind: result.text(row, 1), key: result.text(row, 2),
                                     etype: result.text(row, 3), version: try result.int64(row, 4)))
        }
        guard let last = rows.last else { return .notCommitted }
        guard var report = Self.matchCommitted(mutations, to: rows) else {
            logger.error("own outbox rows after a commit of unknown outcome do not match its batch", metadata: [
                "namespace": "\(namespace)", "origin": "\(origin)", "after": "\(lowerBound)", "rows": "\(rows.count)",
            ])
            return .unrecognized
        }
        report.position = UInt64(clamping: last.id)
        lastOwnOutboxID = max(lastOwnOutboxID ?? last.id, last.id)
        return .committed(report)
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
    /// mutation does not carry; without one it removed nothing —, an expiry change on (kind, key,
    /// `upsert`, version) — without one the row had another version. Taking a matching row is never
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
            case .upsert(let upsert), .compareAndSet(let upsert, _):
                if let row, row.etype == OutboxEntry.Operation.upsert.rawValue, row.kind == upsert.kind,
                   row.key == upsert.key, Int64(exactly: upsert.version) == row.version {
                    next += 1
                } else {
                    report.staleUpserts.append(index)
                }
            case .delete(let kind, let key), .deleteUnlessNewer(let kind, let key, _), .compareAndDelete(let kind, let key, _):
                if let row, row.etype == OutboxEntry.Operation.delete.rawValue, row.kind == kind, row.key == key {
                    next += 1
                } else {
                    report.unchanged.append(index)
                }
            case .setExpiry(let kind, let key, let version, _):
                if let row, row.etype == OutboxEntry.Operation.upsert.rawValue, row.kind == kind, row.key == key,
                   Int64(exactly: version) == row.version {
                    next += 1
                } else {
                    report.unchanged.append(index)
                }
            }
        }
        return next == rows.endIndex ? report : nil
    }
}
