import Foundation
import Testing
import Zestor
import ZestorConformance
import ZestorPostgres

/// A PostgreSQL restart (as a failover would cause) in the middle of traffic loses nothing that
/// was acknowledged, and every replica's watcher still receives every change. Each test runs its
/// own cluster (``ThrowawayCluster``), since restarting the shared one would break the tests
/// running beside it.
@Suite("PostgreSQL server restart", .serialized, .enabled(if: hasPostgres, "ZESTOR_POSTGRES_URL is not set"))
struct ServerRestartTests {
    static func open(_ url: String, _ namespace: Int64, _ mode: WriteMode) async throws -> DurableStore<ConformanceValue> {
        try await DurableStore<ConformanceValue>.open(
            backend: try PostgresBackend(url: url, namespace: namespace, options: .init(operationTimeout: .seconds(10))),
            mode: mode)
    }

    /// Runs `body` against a fresh cluster and always stops the cluster afterwards.
    static func withCluster(_ body: (ThrowawayCluster) async throws -> Void) async throws {
        try await using(try await ThrowawayCluster.start(), release: { try await $0.stop() }, body)
    }

    /// Collects the keys of `watch`'s events until `expected` keys were seen (or the deadline).
    static func collectKeys(_ watch: Watch<ConformanceValue>, until expected: Set<String>) async throws -> [String: Int] {
        try await withDeadline(90, "the watcher receiving every change") {
            var seen: [String: Int] = [:]
            for try await event in watch where event.type != .delete {
                seen[event.key] = event.value.n
                if expected.isSubset(of: Set(seen.keys)) { break }
            }
            return seen
        }
    }

    @Test("write-behind traffic across a restart: every acknowledged write lands, the replica's watcher sees each")
    func writeBehindAcrossRestart() async throws {
        try await Self.withCluster { cluster in
            let namespace = randomNamespace()
            let writer = try await Self.open(cluster.url, namespace, .writeBehind(WriteBehindPolicy(maxDelay: .milliseconds(2))))
            let replica = try await Self.open(cluster.url, namespace, .writeThrough)
            let watch = try replica.watch("orders", options: WatchOptions(bufferSize: 65_536))

            // Writes keep flowing while the server goes down and comes back, then a while longer.
            let restart = cluster.restartInBackground()
            var acknowledged: Set<String> = []
            var index = 0
            var writesAfterRestart = 0
            while writesAfterRestart < 500 {
                let key = "o\(index)"
                try await writer.set("orders", key, ConformanceValue(name: key, n: index))
                acknowledged.insert(key)
                index += 1
                if index % 20 == 0 { try await Task.sleep(for: .milliseconds(1)) }
                if restart.isDone { writesAfterRestart += 1 }
            }
            try await restart.wait()

            let received = try await Self.collectKeys(watch, until: acknowledged)
            try await withDeadline(90, "flushing after the restart") { try await writer.flush() }
            #expect(acknowledged.isSubset(of: Set(received.keys)))
            #expect(received.allSatisfy { "o\($0.value)" == $0.key })

            try await writer.close()
            try await replica.close()
            let reopened = try await Self.open(cluster.url, namespace, .writeThrough)
            let stored = try reopened.list("orders", where: [])
            #expect(Set(stored.keys) == acknowledged, "every acknowledged write is stored, nothing else")
            #expect(stored.allSatisfy { $0.value.name == $0.key })
            try await reopened.close()
        }
    }

    @Test("write-through during a restart: acknowledged writes survive and reach the replica's watcher")
    func writeThroughAcrossRestart() async throws {
        try await Self.withCluster { cluster in
            let namespace = randomNamespace()
            let writer = try await Self.open(cluster.url, namespace, .writeThrough)
            let replica = try await Self.open(cluster.url, namespace, .writeThrough)
            let watch = try replica.watch("orders", options: WatchOptions(bufferSize: 65_536))

            let restart = cluster.restartInBackground()
            var acknowledged: [String: Int] = [:]
            var inDoubt: Set<String> = []
            var failures = 0
            var index = 0
            var writesAfterRestart = 0
            while writesAfterRestart < 200 {
                let key = "o\(index)"
                do {
                    try await writer.set("orders", key, ConformanceValue(name: key, n: index))
                    acknowledged[key] = index
                    index += 1
                } catch {
                    // While the server is down a write-through write fails and is not acknowledged;
                    // the caller may retry it (the next attempt writes a new key). One whose commit
                    // was cut off and could not be settled may have been applied.
                    if case StoreError.commitOutcomeUnknown = error { inDoubt.insert(key) }
                    failures += 1
                    index += 1
                    try await Task.sleep(for: .milliseconds(20))
                }
                if restart.isDone { writesAfterRestart += 1 }
            }
            try await restart.wait()

            #expect(failures > 0, "the restart interrupted the traffic")
            let received = try await Self.collectKeys(watch, until: Set(acknowledged.keys))
            for (key, n) in acknowledged { #expect(received[key] == n, "\(key)") }
            // A failed write changed nothing in the writer's memory (one in doubt shows in memory
            // once resolved, if the server had committed it).
            try await withDeadline(30, "keys in doubt being resolved") {
                while writer.coherenceStatus.keysInDoubt > 0 { try await Task.sleep(for: .milliseconds(10)) }
            }
            let inMemory = Set(try writer.keys("orders"))
            #expect(Set(acknowledged.keys).isSubset(of: inMemory))
            #expect(inMemory.isSubset(of: Set(acknowledged.keys).union(inDoubt)))

            try await writer.close()
            try await replica.close()
            let reopened = try await Self.open(cluster.url, namespace, .writeThrough)
            let stored = try reopened.list("orders", where: [])
            for (key, n) in acknowledged { #expect(stored[key]?.n == n, "\(key)") }
            try await reopened.close()
        }
    }
}
