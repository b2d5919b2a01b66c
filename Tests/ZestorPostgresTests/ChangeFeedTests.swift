import Foundation
import Testing
import Zestor
@testable import ZestorPostgres

/// Reads mutations from `stream` until `count` arrived (or it ended), failing after `timeout`
/// and on a resynchronization (none of these tests prunes the outbox).
private func collect(_ stream: AsyncStream<FeedBatch>, count: Int,
                     timeout: Duration = .seconds(15)) async throws -> [PersistedMutation] {
    try await withThrowingTaskGroup(of: [PersistedMutation]?.self) { group in
        group.addTask {
            var collected: [PersistedMutation] = []
            var lastPosition: UInt64 = 0
            for await batch in stream {
                guard case .changes(let changes, let through) = batch else {
                    Issue.record("unexpected resynchronization: \(batch)")
                    continue
                }
                for change in changes {
                    #expect(change.position > lastPosition && change.position <= through)
                    lastPosition = change.position
                }
                collected += changes.map(\.mutation)
                if collected.count >= count { break }
            }
            return collected
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        let first = try await group.next() ?? nil
        return try #require(first, "timed out waiting for \(count) mutations")
    }
}

private func row(_ kind: String, _ key: String, _ value: [UInt8], _ version: UInt64) -> PersistedRow {
    PersistedRow(kind: kind, key: key, value: value, version: version)
}

@Suite("PostgresBackend change feed", .enabled(if: hasPostgres, "ZESTOR_POSTGRES_URL is not set"))
struct ChangeFeedTests {
    @Test("delivers other backends' commits in order, never its own, and nothing from other namespaces")
    func deliversForeignCommits() async throws {
        let namespace = randomNamespace()
        let other = try PostgresBackend(url: postgresURL, namespace: namespace)
        let stranger = try PostgresBackend(url: postgresURL, namespace: randomNamespace())
        let me = try PostgresBackend(url: postgresURL, namespace: namespace)
        let stream = try #require(me.externalChanges())
        try await other.commit([.upsert(row("k", "x", [1], 1)), .upsert(row("k", "y", [2], 1))])
        try await me.commit([.upsert(row("k", "mine", [3], 1))])
        try await stranger.commit([.upsert(row("k", "x", [9], 9))])
        try await other.commit([.delete(kind: "k", key: "x"), .upsert(row("k", "y", [4], 2))])
        let received = try await collect(stream, count: 4)
        #expect(received == [
            .upsert(row("k", "x", [1], 1)), .upsert(row("k", "y", [2], 1)),
            .deleteUnlessNewer(kind: "k", key: "x", version: 1), .upsert(row("k", "y", [4], 2)),
        ])
        try await me.close()
        try await other.close()
        try await stranger.close()
    }

    @Test("one notification per statement still delivers every row of a large commit, in order")
    func deliversLargeCommit() async throws {
        let namespace = randomNamespace()
        let other = try PostgresBackend(url: postgresURL, namespace: namespace)
        let me = try PostgresBackend(url: postgresURL, namespace: namespace)
        let stream = try #require(me.externalChanges())
        // More rows than one statement (run) and than one drain page hold.
        let count = PostgresSession.maxRunLength * 2 + ChangeFeed.drainLimit / 2
        let batch = (0..<count).map { PersistedMutation.upsert(row("k", "key\($0)", [UInt8(truncatingIfNeeded: $0)], 1)) }
        try await other.commit(batch)
        try await other.commit([.delete(kind: "k", key: "key0")])
        let received = try await collect(stream, count: count + 1)
        #expect(received == batch + [.deleteUnlessNewer(kind: "k", key: "key0", version: 1)])
        try await me.close()
        try await other.close()
    }

    @Test("starts from the outbox high-water mark taken at open")
    func catchesUpFromOpen() async throws {
        let namespace = randomNamespace()
        let other = try PostgresBackend(url: postgresURL, namespace: namespace)
        try await other.commit([.upsert(row("k", "before-open", [1], 1))])
        let me = try PostgresBackend(url: postgresURL, namespace: namespace)
        // Committed after open but before anyone listens: still delivered.
        try await other.commit([.upsert(row("k", "after-open", [2], 1))])
        let stream = try #require(me.externalChanges())
        try await other.commit([.upsert(row("k", "live", [3], 1))])
        let received = try await collect(stream, count: 2)
        #expect(received.map(\.key) == ["after-open", "live"])
        try await me.close()
        try await other.close()
    }

    @Test("a killed listener connection reconnects and catches up")
    func reconnects() async throws {
        let namespace = randomNamespace()
        let other = try PostgresBackend(url: postgresURL, namespace: namespace)
        let me = try PostgresBackend(url: postgresURL, namespace: namespace)
        let stream = try #require(me.externalChanges())
        try await other.commit([.upsert(row("k", "one", [1], 1))])
        #expect(try await collect(stream, count: 1).map(\.key) == ["one"])

        let terminated = try await other.query("""
            SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity WHERE application_name = $1
            """, [.text("zestor-listener-\(me.origin)")], columns: 1)
        #expect(terminated == [["true"]])
        try await other.commit([.upsert(row("k", "two", [2], 1))])
        try await other.commit([.upsert(row("k", "three", [3], 1))])
        #expect(try await collect(stream, count: 2).map(\.key) == ["two", "three"])
        try await me.close()
        try await other.close()
    }

    @Test("close ends the stream; after close the feed is an ended stream")
    func closeEndsStream() async throws {
        let me = try PostgresBackend(url: postgresURL, namespace: randomNamespace())
        let stream = try #require(me.externalChanges())
        try await me.close()
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next() == nil)
        let later = try #require(me.externalChanges())
        var laterIterator = later.makeAsyncIterator()
        #expect(await laterIterator.next() == nil)
    }
}
