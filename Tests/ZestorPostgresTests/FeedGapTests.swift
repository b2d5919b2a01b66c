import Foundation
import Synchronization
import Testing
import Zestor
import ZestorConformance
@testable import ZestorPostgres

/// A replica cut off from PostgreSQL for so long that the outbox rows it had not read were pruned
/// (its cursor expired): when it reconnects, its feed detects the gap and resynchronizes memory
/// from `zestor_kv` — one event per key that changed, none for the others — while its own writes
/// racing the resynchronization keep what they acknowledged.
@Suite("PostgreSQL change feed gap", .serialized, .enabled(if: hasPostgres, "ZESTOR_POSTGRES_URL is not set"))
struct FeedGapTests {
    static let kind = "items"

    /// How many rows the namespace holds, and how many of them are updated while the replica is
    /// cut off (a third as many are deleted, a third as many created). `ZESTOR_RESYNC_ROWS` and
    /// `ZESTOR_RESYNC_UPDATED` override them, to measure a large resynchronization.
    static var rows: Int { ProcessInfo.processInfo.environment["ZESTOR_RESYNC_ROWS"].flatMap { Int($0) } ?? 2_000 }
    static var updated: Int { ProcessInfo.processInfo.environment["ZESTOR_RESYNC_UPDATED"].flatMap { Int($0) } ?? 100 }

    static func value(_ key: Int, _ n: Int) -> ConformanceValue { ConformanceValue(name: "k\(key)", n: n) }

    @Test("a replica whose missed outbox rows were pruned resynchronizes: memory and watcher equal the database")
    func resynchronizesAfterPrunedGap() async throws {
        let namespace = randomNamespace()
        let proxy = try CuttingProxy(serverURL: postgresURL)
        defer { proxy.stop() }
        let writer = try await DurableStore<ConformanceValue>.open(
            backend: try PostgresBackend(url: postgresURL, namespace: namespace))
        let replica = try await DurableStore<ConformanceValue>.open(
            backend: try PostgresBackend(url: proxy.url, namespace: namespace, options: .init(operationTimeout: .seconds(5))))
        // Prunes every outbox row at once and forgets every cursor: the replica's expired one too.
        let pruner = try PostgresBackend(url: postgresURL, namespace: namespace,
                                         options: .init(outboxRetention: .zero, outboxCursorLiveness: .zero))
        let count = Self.rows
        var seed: [String: ConformanceValue] = [:]
        for key in 0..<count { seed["k\(key)"] = Self.value(key, 0) }
        for chunk in Array(seed).chunked(1_000) { try await writer.setMany(Self.kind, Dictionary(uniqueKeysWithValues: chunk.map { ($0.key, $0.value) })) }
        try await withDeadline(60, "the replica receiving the seed") {
            while try replica.count(Self.kind) < count { try await Task.sleep(for: .milliseconds(20)) }
        }
        let watch = try replica.watch(Self.kind, options: WatchOptions(bufferSize: 1 << 20))

        // Cut off, the replica misses updates, deletes and creations, and their outbox rows go.
        proxy.isolate()
        let changed = min(Self.updated, count / 2)
        var changes: [String: ConformanceValue] = [:]
        for key in 0..<changed { changes["k\(key)"] = Self.value(key, 1) }
        for chunk in Array(changes).chunked(1_000) { try await writer.setMany(Self.kind, Dictionary(uniqueKeysWithValues: chunk.map { ($0.key, $0.value) })) }
        let deleted = (changed..<(changed + changed / 3)).map { "k\($0)" }
        for key in deleted { try await writer.delete(Self.kind, key) }
        let created = (0..<(changed / 3)).map { "new\($0)" }
        for key in created { try await writer.set(Self.kind, key, ConformanceValue(name: key, n: 2)) }
        #expect(try await pruner.pruneOutbox() > 0)
        #expect(try await pruner.outbox(after: 0, limit: 1).isEmpty, "the outbox was pruned past the replica's cursor")

        // Back on the network: the replica resynchronizes, and writes keys meanwhile — some the
        // writer changed while it was cut off (its first attempt may lose the race and is retried).
        let started = ContinuousClock.now
        proxy.reconnect()
        let ownKeys = (0..<10).map { "k\($0 * 3)" } + ["mine"]
        let ownWrites = Task {
            var acknowledged: [String: ConformanceValue] = [:]
            for round in 0..<5 {
                for key in ownKeys {
                    let value = ConformanceValue(name: "replica", n: round)
                    while true {
                        do {
                            try await replica.set(Self.kind, key, value)
                            break
                        } catch StoreError.versionConflict {
                            continue  // the key was refreshed from the database: the retry succeeds
                        } catch let error as StoreError {
                            throw error
                        } catch {
                            try await Task.sleep(for: .milliseconds(50))  // not reconnected yet
                        }
                    }
                    acknowledged[key] = value
                }
            }
            return acknowledged
        }
        try await withDeadline(60, "the replica resynchronizing") {
            while replica.coherenceStatus.resyncs == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        let elapsed = ContinuousClock.now - started
        let acknowledged = try await withDeadline(60, "the replica's own writes") { try await ownWrites.value }

        // The database is the truth: writer, replica and a fresh store all show it, and it holds
        // every write the replica acknowledged.
        let truth = try await DurableStore<ConformanceValue>.open(backend: try PostgresBackend(url: postgresURL, namespace: namespace))
        let stored = try truth.list(Self.kind, where: [])
        try await truth.close()
        for (key, value) in acknowledged { #expect(stored[key] == value, "\(key)") }
        try await withDeadline(30, "the writer and the replica converging") {
            while try writer.list(Self.kind, where: []) != stored || replica.list(Self.kind, where: []) != stored {
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        // The watcher got one event per key that changed (the writer's changes, then the
        // replica's own writes), none for the keys that did not, and ends in the database's
        // state. A last write marks the end of what to read.
        try await replica.set(Self.kind, "~end", ConformanceValue(name: "end", n: 0))
        let events = try await withDeadline(30, "the watcher's events") {
            var events: [Event<ConformanceValue>] = []
            for try await event in watch {
                if event.key == "~end" { break }
                events.append(event)
            }
            return events
        }
        var state = seed
        var perKey: [String: Int] = [:]
        for event in events {
            perKey[event.key, default: 0] += 1
            if event.type == .delete { state[event.key] = nil } else { state[event.key] = event.value }
        }
        state["~end"] = ConformanceValue(name: "end", n: 0)
        let repairedKeys = Set(changes.keys).union(deleted).union(created).subtracting(ownKeys)
        #expect(repairedKeys.allSatisfy { perKey[$0] == 1 }, "one event per repaired key")
        #expect(events.filter { repairedKeys.contains($0.key) }.allSatisfy { $0.cause == .external })
        #expect(events.filter { $0.value.name == "replica" }.allSatisfy { $0.cause == .write })
        #expect(Set(perKey.keys).isSubset(of: repairedKeys.union(ownKeys)), "no event for a key that did not change")
        #expect(state == (try replica.list(Self.kind, where: [])), "the watcher's state equals memory")
        #expect(state.filter { $0.key != "~end" } == stored, "the watcher's state equals the database")
        let status = replica.coherenceStatus
        #expect(status.resyncs == 1)
        #expect(status.keysRepaired >= repairedKeys.count)
        print("feed gap: \(count) rows, \(repairedKeys.count) repaired in \(elapsed) after reconnecting; \(status)")
        try await writer.close()
        try await replica.close()
        try await pruner.close()
    }

    @Test("no gap at open: the feed starts where the bulk load's snapshot ends, even when the outbox before it was pruned")
    func noGapAtOpen() async throws {
        let namespace = randomNamespace()
        let writer = try PostgresBackend(url: postgresURL, namespace: namespace)
        let pruner = try PostgresBackend(url: postgresURL, namespace: namespace,
                                         options: .init(outboxRetention: .zero, outboxCursorLiveness: .zero))
        // The backend opens (its feed would start here), then rows are written and pruned away.
        let backend = try PostgresBackend(url: postgresURL, namespace: namespace)
        let value = Array(#"{"name":"v","n":1}"#.utf8)
        try await writer.commit((0..<50).map { .upsert(PersistedRow(kind: Self.kind, key: "k\($0)", value: value, version: 1)) })
        #expect(try await pruner.pruneOutbox() == 50)
        let store = try await DurableStore<ConformanceValue>.open(backend: backend)
        #expect(try store.count(Self.kind) == 50, "open loaded every row")
        try await writer.commit([.upsert(PersistedRow(kind: Self.kind, key: "later", value: value, version: 1))])
        try await withDeadline(30, "the change committed after open") {
            while try store.get(Self.kind, "later") == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(store.coherenceStatus.resyncs == 0)
        try await store.close()
        try await writer.close()
        try await pruner.close()
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    fileprivate func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
