import Foundation
import Logging
import Zestor

extension PostgresSession {
    /// Up to `limit` outbox rows of the namespace with an id above `id`, in id order.
    func outbox(after id: Int64, limit: Int) throws -> [OutboxEntry] {
        try prepareConnection()
        let result = try connection.execute(PostgresSessionSQL.selectOutbox,
                                            [.int64(namespace), .int64(id), .int64(Int64(max(limit, 0)))], prepared: true)
        return try Self.outboxEntries(result, from: 0)
    }

    /// Up to `limit` outbox rows of the namespace with an id above `id`, in id order, and — in
    /// the same snapshot — the largest id ever pruned from the namespace's outbox (0 if none):
    /// when it exceeds `id`, rows after `id` are gone and the page does not follow on from `id`.
    func outboxPage(after id: Int64, limit: Int) throws -> (prunedThrough: Int64, entries: [OutboxEntry]) {
        try prepareConnection()
        let result = try connection.execute(PostgresSessionSQL.selectOutboxPage,
                                            [.int64(namespace), .int64(id), .int64(Int64(max(limit, 0)))], prepared: true)
        let prunedThrough = try result.int64(0, 0)
        return (prunedThrough, try Self.outboxEntries(result, from: 1))
    }

    /// The outbox rows of `result`, whose columns from `first` on are those of
    /// ``PostgresSessionSQL/selectOutbox``; rows whose id is `NULL` (no match of an outer join) are skipped.
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
                origin: result.text(row, first + 6),
                expiresAt: result.isNull(row, first + 7) ? nil : try result.int64(row, first + 7)
            ))
        }
        return entries
    }

    /// The namespace's position in its commit order: its largest outbox id, or the largest id
    /// pruned from its outbox if greater; 0 when it has none.
    func outboxHighWaterMark() throws -> Int64 {
        try prepareConnection()
        return try connection.execute(PostgresSessionSQL.outboxHighWaterMark, [.int64(namespace)]).int64(0, 0)
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
        try connection.execute(PostgresSessionSQL.pruneCursors, [.int64(namespace), .int64(liveness)])
        let removed = try connection.execute(PostgresSessionSQL.pruneOutbox,
                                             [.int64(namespace), .int64(seconds), .int64(liveness)])
        return Int(try removed.int64(0, 0))
    }

    /// Records that this origin's change feed has drained the outbox up to `lastID`.
    func recordCursor(lastID: Int64) throws {
        try prepareConnection()
        try connection.execute(PostgresSessionSQL.recordCursor, [.int64(namespace), .text(origin), .int64(lastID)],
                               prepared: true)
    }

    /// Removes this origin's cursor (its change feed stopped).
    func dropCursor() throws {
        try prepareConnection()
        try connection.execute(PostgresSessionSQL.dropCursor, [.int64(namespace), .text(origin)])
    }

    /// Resets a broken connection and subscribes it to ``PostgresSessionSQL/channel``.
    func listen() throws {
        try prepareConnection()
        try connection.executeScript(PostgresSessionSQL.listen)
    }

    /// Prunes the outbox when ``PostgresBackend/Options/outboxPruneInterval`` has passed since
    /// the last prune (after each commit); a failure is logged, never thrown.
    func pruneIfDue() {
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

}
