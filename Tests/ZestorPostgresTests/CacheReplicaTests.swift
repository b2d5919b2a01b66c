import Foundation
import Testing
import Zestor
import ZestorConformance
import ZestorPostgres

/// Replicas of a bounded, expiring kind on one PostgreSQL namespace: each sweeps and evicts in
/// its own memory and persists those removals; each applies the others' changes from the feed.
@Suite("Caches shared through PostgreSQL", .enabled(if: hasPostgres, "ZESTOR_POSTGRES_URL is not set"))
struct CacheReplicaTests {
    static let sessions = "sessions"

    static func open(_ namespace: Int64, _ mode: WriteMode, clock: ManualExpiryClock) async throws -> DurableStore<ConformanceValue> {
        let options = StoreOptions<ConformanceValue>(
            caches: [sessions: try CacheOptions(timeToLive: .seconds(60), capacity: 16)],
            clock: clock, sweep: try SweepOptions(interval: .seconds(3600)))
        return try await DurableStore<ConformanceValue>.open(
            backend: try PostgresBackend(url: postgresURL, namespace: namespace, options: .init(poolSize: 1)),
            mode: mode, options: options)
    }

    /// Every live entry of the kind with its version.
    static func contents(_ store: DurableStore<ConformanceValue>) throws -> [String: Versioned<ConformanceValue>] {
        var contents: [String: Versioned<ConformanceValue>] = [:]
        for key in try store.keys(sessions) { contents[key] = try store.getVersioned(sessions, key) }
        return contents
    }

    static func differences(_ a: [String: Versioned<ConformanceValue>], _ b: [String: Versioned<ConformanceValue>]) -> String {
        Set(a.keys).union(b.keys).sorted().filter { a[$0] != b[$0] }.map { key in
            "\(key): A \(a[key].map { "\($0.value.name)#\($0.value.n) v\($0.version)" } ?? "absent"), "
                + "B \(b[key].map { "\($0.value.name)#\($0.value.n) v\($0.version)" } ?? "absent")"
        }.joined(separator: "; ")
    }

    @Test("two replicas converge on the storage after writes, evictions and expirations", arguments: [0, 1])
    func replicasConverge(mode: Int) async throws {
        let namespace = randomNamespace()
        let writeMode: WriteMode = mode == 0 ? .writeThrough : .writeBehind(WriteBehindPolicy(maxDelay: .milliseconds(2)))
        let clockA = ManualExpiryClock(), clockB = ManualExpiryClock()
        let a = try await Self.open(namespace, writeMode, clock: clockA)
        let b = try await Self.open(namespace, writeMode, clock: clockB)
        // Overlapping writers: far more keys than the bound, some expiring soon.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in [a, b].enumerated() {
                group.addTask {
                    for n in 0..<60 {
                        let key = "s\((n * 7 + index * 20) % 40)"
                        let expiration: Expiration = n % 3 == 0 ? .after(.seconds(5)) : .kindDefault
                        do {
                            try await store.set(Self.sessions, key, ConformanceValue(name: "r\(index)", n: n), expiration: expiration)
                        } catch StoreError.versionConflict {
                            // The other replica wrote the key first; the next write goes on top.
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        clockA.advance(by: .seconds(10))
        clockB.advance(by: .seconds(10))
        try a.removeExpired()
        try b.removeExpired()
        try await a.flush()
        try await b.flush()
        // Once the feeds are quiet, both replicas hold the same entries at the same versions.
        let converging = try await withDeadline(20, "the replicas converging") { () async throws -> Bool in
            for _ in 0..<500 {
                if try Self.contents(a) == Self.contents(b) { return true }
                try await Task.sleep(for: .milliseconds(20))
            }
            return false
        }
        let (seenA, seenB) = (try Self.contents(a), try Self.contents(b))
        #expect(converging, "A and B differ: \(Self.differences(seenA, seenB))")
        let converged = try Self.contents(a)
        #expect(converged.count <= 16, "a bounded kind holds at most its capacity")
        #expect(!converged.isEmpty)
        #expect(converged.values.allSatisfy { $0.value.n % 3 != 0 }, "entries expiring after 5 s are gone")
        try await a.close()
        try await b.close()
        // The storage holds exactly that: a store without a bound whose clock reached no instant
        // loads the same entries (removals were persisted, not just applied in memory).
        let reader = try await DurableStore<ConformanceValue>.open(
            backend: try PostgresBackend(url: postgresURL, namespace: namespace, options: .init(poolSize: 1)))
        #expect(try Self.contents(reader) == converged)
        try await reader.close()
    }

    @Test("setExpiration on one replica reaches the other, which keeps the entry as long")
    func expiryChangeReachesReplica() async throws {
        let namespace = randomNamespace()
        let clockA = ManualExpiryClock(), clockB = ManualExpiryClock()
        let a = try await Self.open(namespace, .writeThrough, clock: clockA)
        let b = try await Self.open(namespace, .writeThrough, clock: clockB)
        try await a.set(Self.sessions, "k", ConformanceValue(name: "v", n: 1), expiration: .after(.seconds(10)))
        try await withDeadline(10, "B receiving the write") {
            while try b.get(Self.sessions, "k") == nil { try await Task.sleep(for: .milliseconds(5)) }
        }
        try await a.setExpiration(Self.sessions, "k", .never)
        try await withDeadline(10, "B receiving the new expiry") {
            while try b.expiration(Self.sessions, "k") != .never { try await Task.sleep(for: .milliseconds(5)) }
        }
        clockB.advance(by: .seconds(20))
        #expect(try b.removeExpired() == 0)
        #expect(try b.getVersioned(Self.sessions, "k") == Versioned(value: ConformanceValue(name: "v", n: 1), version: 1))
        try await a.close()
        try await b.close()
    }
}
