import Foundation
import Testing
import Zestor
import ZestorConformance
@testable import ZestorPostgres

/// Two stores on one namespace behave like two replicas: writes on one arrive in the other's
/// reads and watchers, in order; a store on another namespace sees nothing.
@Suite("Cross-process watch over PostgreSQL", .enabled(if: hasPostgres, "ZESTOR_POSTGRES_URL is not set"))
struct CrossProcessTests {
    static func open(_ namespace: Int64, _ mode: WriteMode = .writeThrough) async throws -> DurableStore<ConformanceValue> {
        try await DurableStore<ConformanceValue>.open(
            backend: try PostgresBackend(url: postgresURL, namespace: namespace, options: .init(poolSize: 1)), mode: mode)
    }

    @Test("writes on A reach B's watcher in order and B's reads; another namespace sees nothing", arguments: [0, 1])
    func replicasConverge(mode: Int) async throws {
        let namespace = randomNamespace()
        let writeMode: WriteMode = mode == 0 ? .writeThrough : .writeBehind(WriteBehindPolicy(maxDelay: .milliseconds(2)))
        let a = try await Self.open(namespace, writeMode)
        let b = try await Self.open(namespace)
        let other = try await Self.open(randomNamespace())
        let watch = try b.watch("users", options: WatchOptions())
        let otherWatch = try other.watch("users", options: WatchOptions())

        try await a.set("users", "ada", ConformanceValue(name: "Ada", n: 36))
        try await a.update("users", "ada") { $0.n += 1 }
        try await a.set("users", "alan", ConformanceValue(name: "Alan", n: 41))
        try await a.delete("users", "alan")
        try await a.setMany("users", ["grace": ConformanceValue(name: "Grace", n: 85)])
        try await a.flush()

        // Write-through publishes every change; write-behind commits coalesced batches, so a
        // replica sees fewer, later changes — but always converges on the same state.
        let expected: [String: Int] = ["ada": 37, "grace": 85]
        let received = try await withDeadline(10, "B receiving A's writes") {
            var seen: [String] = []
            var state: [String: Int] = [:]
            for try await event in watch {
                seen.append("\(event.type.rawValue) \(event.key) \(event.value.n)")
                if event.type == .delete { state[event.key] = nil } else { state[event.key] = event.value.n }
                if state == expected && (mode == 1 || seen.count == 5) { break }
            }
            return seen
        }
        if mode == 0 {
            #expect(received == ["create ada 36", "update ada 37", "create alan 41", "delete alan 41", "create grace 85"])
        }
        #expect(try b.get("users", "ada") == ConformanceValue(name: "Ada", n: 37))
        #expect(try b.getVersioned("users", "ada")?.version == 2)
        #expect(try b.get("users", "alan") == nil)
        #expect(try b.count("users") == 2)

        // B writes back; A sees it.
        try await b.set("users", "ada", ConformanceValue(name: "Ada", n: 38))
        try await withDeadline(10, "A receiving B's write") {
            while try a.get("users", "ada")?.n != 38 { try await Task.sleep(for: .milliseconds(5)) }
        }
        #expect(try a.getVersioned("users", "ada")?.version == 3)

        try await Task.sleep(for: .milliseconds(200))
        #expect(try other.count("users") == 0)
        otherWatch.cancel()
        var otherIterator = otherWatch.makeAsyncIterator()
        #expect(try await otherIterator.next() == nil, "the other namespace received nothing")
        try await a.close()
        try await b.close()
        try await other.close()
    }
}

/// Runs `body` with a deadline, for tests in this target.
func withDeadline<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try? await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw CrossProcessTimeout(what: what)
        }
        return value
    }
}

struct CrossProcessTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "\(what) timed out" }
}

extension CrossProcessTests {
    @Test("an upsert that lost to another replica's write is reported stale, in both commit strategies")
    func staleUpsertsAreReported() async throws {
        let namespace = randomNamespace()
        let first = try PostgresBackend(url: postgresURL, namespace: namespace, options: .init(poolSize: 1))
        let second = try PostgresBackend(url: postgresURL, namespace: namespace, options: .init(poolSize: 1))
        let row = { (key: String, version: UInt64) in
            PersistedMutation.upsert(PersistedRow(kind: "k", key: key, value: Array("\(version)".utf8), version: version))
        }
        #expect(try await first.commit([row("a", 1), row("b", 1)]).staleUpserts.isEmpty)
        let report = try await second.commit([row("a", 1), row("c", 1), .delete(kind: "k", key: "b"), row("a", 2)])
        #expect(report.staleUpserts == [0], "only the first upsert of a lost; the later version 2 applies")
        let perRow = try await second.commit([row("c", 1), row("d", 1)], strategy: .perRow)
        #expect(perRow.staleUpserts == [0])
        try await first.close()
        try await second.close()
    }

    @Test("two replicas writing the same key: the loser's write throws a version conflict, both converge")
    func concurrentWritesConverge() async throws {
        let namespace = randomNamespace()
        let a = try await Self.open(namespace)
        let b = try await Self.open(namespace)
        try await a.set("k", "hot", ConformanceValue(name: "start", n: 0))
        try await withDeadline(10, "B seeing the first write") {
            while try b.get("k", "hot") == nil { try await Task.sleep(for: .milliseconds(2)) }
        }
        // Both replicas hammer the same key; conflicts are reported, never silently lost.
        let conflicts = try await withThrowingTaskGroup(of: Int.self) { group in
            for (index, store) in [a, b].enumerated() {
                group.addTask {
                    var lost = 0
                    for n in 1...100 {
                        do {
                            try await store.set("k", "hot", ConformanceValue(name: "replica-\(index)", n: n))
                        } catch StoreError.versionConflict {
                            lost += 1
                        }
                    }
                    return lost
                }
            }
            return try await group.reduce(0, +)
        }
        // Once the feeds have caught up, both replicas and the database agree.
        try await withDeadline(10, "replicas converging") {
            while try a.getVersioned("k", "hot")?.version != b.getVersioned("k", "hot")?.version
                || a.get("k", "hot") != b.get("k", "hot") {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        let final = try a.getVersioned("k", "hot")
        try await a.close()
        try await b.close()
        let reopened = try await Self.open(namespace)
        #expect(try reopened.getVersioned("k", "hot")?.version == final?.version)
        #expect(try reopened.get("k", "hot") == final?.value)
        try await reopened.close()
        _ = conflicts  // how many lost depends on timing; what matters is that nothing diverged
    }
}

extension CrossProcessTests {
    @Test("outbox pruning keeps the rows a live reader has not drained")
    func pruningWaitsForLiveReaders() async throws {
        let namespace = randomNamespace()
        let keeper = try PostgresBackend(url: postgresURL, namespace: namespace, options: .init(poolSize: 1))
        let writer = try PostgresBackend(url: postgresURL, namespace: namespace, options: .init(poolSize: 1))
        let feed = try #require(keeper.externalChanges())
        let cursorOf = { @Sendable (backend: PostgresBackend) async throws -> Int64? in
            let rows = try await writer.query("SELECT last_id::text FROM zestor_outbox_cursors WHERE ns_id = $1 AND origin = $2",
                                              [.int64(namespace), .text(backend.origin)], columns: 1)
            guard let cell = rows.first?.first, let text = cell else { return nil }
            return Int64(text)
        }
        try await withDeadline(10, "the keeper's feed recording its cursor") {
            while try await cursorOf(keeper) == nil { try await Task.sleep(for: .milliseconds(5)) }
        }
        let upsert = { (key: String) in
            PersistedMutation.upsert(PersistedRow(kind: "k", key: key, value: [1], version: 1))
        }
        try await writer.commit([upsert("a")])
        try await writer.commit([upsert("b")])
        let ids = try await writer.outbox(after: 0, limit: 10).map(\.id)
        #expect(ids.count == 2)
        try await withDeadline(10, "the keeper draining both rows") {
            while try await (cursorOf(keeper) ?? 0) < ids[1] { try await Task.sleep(for: .milliseconds(5)) }
        }
        // A reader that is alive but has only drained the first row.
        _ = try await writer.query(
            "INSERT INTO zestor_outbox_cursors (ns_id, origin, last_id, seen_at) VALUES ($1, 'lagging', $2, now())",
            [.int64(namespace), .int64(ids[0])], columns: 0)
        _ = try await writer.query("UPDATE zestor_outbox SET at = at - interval '2 hours' WHERE ns_id = $1",
                                   [.int64(namespace)], columns: 0)
        #expect(try await writer.pruneOutbox() == 1, "only the row every live reader drained goes")
        #expect(try await writer.outbox(after: 0, limit: 10).map(\.id) == [ids[1]])
        // The lagging reader stops refreshing: it no longer holds rows back.
        _ = try await writer.query(
            "UPDATE zestor_outbox_cursors SET seen_at = now() - interval '1 hour' WHERE ns_id = $1 AND origin = 'lagging'",
            [.int64(namespace)], columns: 0)
        #expect(try await writer.pruneOutbox() == 1)
        #expect(try await writer.outbox(after: 0, limit: 10).isEmpty)
        _ = feed
        try await keeper.close()
        #expect(try await cursorOf(keeper) == nil, "a closed feed removes its cursor")
        try await writer.close()
    }
}
