import Foundation
import Zestor

// Hooks for the tests and measurements of this package; not public API.

extension PostgresBackend {
    /// Runs `sql` with `parameters` on the writer connection and returns the rows (tests and
    /// diagnostics). Results come in binary format, so every column must be `text` (cast other
    /// types with `::text`). `sql` is trusted; values go in `parameters`.
    func query(_ sql: String, _ parameters: [PostgresParameter] = [], columns: Int) async throws -> [[String?]] {
        try await writer.run { session in
            let result = try session.query(sql, parameters)
            return (0..<result.rowCount).map { row in
                (0..<columns).map { result.isNull(row, $0) ? nil : result.text(row, $0) }
            }
        }
    }

    /// ``commit(_:)`` with a chosen strategy (tests and measurements).
    @discardableResult
    func commit(_ mutations: [PersistedMutation], strategy: PostgresSession.CommitStrategy) async throws -> CommitReport {
        try await writer.run { try $0.commit(mutations, strategy: strategy) }
    }

    /// ``PostgresSession/resolveInDoubtCommit(_:after:)`` on the writer (tests): whether
    /// `mutations` committed with own outbox ids above `lowerBound`.
    func resolveInDoubtCommit(_ mutations: [PersistedMutation],
                              after lowerBound: Int64) async throws -> PostgresSession.Resolution {
        try await writer.run { try $0.resolveInDoubtCommit(mutations, after: lowerBound) }
    }

    /// ``PostgresSession/lastOwnOutboxID`` of the writer (tests).
    func writerLastOwnOutboxID() async throws -> Int64? {
        try await writer.run { $0.lastOwnOutboxID }
    }

    /// The `NOTIFY` messages queued on the writer connection (tests).
    func writerNotifications() async throws -> [(channel: String, payload: String)] {
        try await writer.run { try $0.consumeNotifications() }
    }

    /// The identity of the thread the writer's jobs run on (tests).
    func writerThreadID() async throws -> Int {
        try await writer.run { _ in ObjectIdentifier(Thread.current).hashValue }
    }
}
