import Foundation
import Testing
import Zestor
import ZestorConformance
import ZestorPostgres

/// Indexes of replicas sharing a PostgreSQL namespace: each replica's indexes follow the changes
/// the others commit (the change feed), and a unique index is enforced per replica while a change
/// another replica committed is applied as the database holds it.
@Suite("Indexes of PostgreSQL replicas", .enabled(if: hasPostgres, "ZESTOR_POSTGRES_URL is not set"))
struct IndexReplicaTests {
    static func open(_ namespace: Int64) async throws -> DurableStore<ConformanceValue> {
        try await DurableStore<ConformanceValue>.open(
            backend: try PostgresBackend(url: postgresURL, namespace: namespace, options: .init(poolSize: 1)))
    }

    /// Polls `condition` until it holds (at most 10 s).
    static func eventually(_ condition: () throws -> Bool) async throws -> Bool {
        for _ in 0..<1_000 {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try condition()
    }

    @Test("a replica's index follows the writes, updates and deletes another replica commits")
    func indexFollowsFeed() async throws {
        let namespace = randomNamespace()
        let a = try await Self.open(namespace), b = try await Self.open(namespace)
        let byN = try b.createIndex("users", "n") { $0.n }
        try await a.set("users", "x", ConformanceValue(name: "x", n: 1))
        try await a.set("users", "y", ConformanceValue(name: "y", n: 1))
        #expect(try await Self.eventually { try b.lookup(byN, equals: 1).map(\.key) == ["x", "y"] })
        try await a.update("users", "x") { $0.n = 2 }
        try await a.delete("users", "y")
        #expect(try await Self.eventually { try b.count(byN, IndexBounds.all) == 1 && b.lookup(byN, equals: 2).map(\.key) == ["x"] })
        try await a.close()
        try await b.close()
    }

    @Test("a unique index rejects local writes; a conflicting change of another replica is applied as stored")
    func uniqueAcrossReplicas() async throws {
        let namespace = randomNamespace()
        let a = try await Self.open(namespace), b = try await Self.open(namespace)
        let byName = try b.createIndex("users", "name", unique: true) { $0.name }
        try await b.set("users", "b1", ConformanceValue(name: "ada", n: 1))
        await #expect(throws: StoreError.uniqueIndexViolation(kind: "users", index: "name", key: "b2", conflictingKey: "b1",
                                                               indexKey: "ada")) {
            try await b.set("users", "b2", ConformanceValue(name: "ada", n: 2))
        }
        #expect(try b.get("users", "b2") == nil)
        // Replica A has no such index: the database takes its write, and B applies it as stored.
        try await a.set("users", "a1", ConformanceValue(name: "ada", n: 3))
        #expect(try await Self.eventually { try b.get("users", "a1") != nil })
        #expect(try b.lookup(byName, equals: "ada").map(\.key) == ["a1", "b1"], "both stored entries, as memory holds them")
        try await a.close()
        try await b.close()
    }
}
