import Foundation
import Synchronization
import Testing
import Zestor
import ZestorConformance

/// A durable cache under concurrency, run under Thread Sanitizer by `Scripts/tsan.sh`: tasks
/// writing (with random expirations), deleting, changing expiries and loading through a bounded,
/// expiring kind of a `DurableStore`, while the clock moves and the sweeper runs — so entries are
/// evicted and expire during writes, commits and loads. Afterwards the storage must hold exactly
/// what memory holds, version for version (and a store reopened on it must load exactly that).
@Suite("Durable cache stress", .serialized)
struct DurableCacheStressTests {
    static let kind = "cache"

    @Test(arguments: [0, 1])
    func storageEqualsMemory(mode: Int) async throws {
        let writeMode: WriteMode = mode == 0 ? .writeThrough : .writeBehind(WriteBehindPolicy(maxDelay: .milliseconds(1)))
        let clock = ManualExpiryClock()
        let options = StoreOptions<ConformanceValue>(
            caches: [Self.kind: try CacheOptions(timeToLive: .milliseconds(40), capacity: 64)],
            clock: clock, sweep: try SweepOptions(interval: .milliseconds(2), batchSize: 8))
        let backend = InMemoryBackend()
        let store = try await DurableStore<ConformanceValue>.open(backend: backend, mode: writeMode, options: options)
        let running = Atomic<Bool>(true)
        let ticker = Thread {
            while running.load(ordering: .relaxed) {
                clock.advance(by: .milliseconds(1))
                usleep(100)
            }
        }
        ticker.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    var random = XorShift(seed: UInt64(task + 1))
                    for op in 0..<1_500 {
                        let key = "k\(random.next() % 160)"
                        let value = ConformanceValue(name: "t\(task)", n: op)
                        switch random.next() % 10 {
                        case 0: _ = try await store.delete(Self.kind, key)
                        case 1: _ = try? await store.update(Self.kind, key) { $0.n += 1 }
                        case 2: _ = try await store.setExpiration(Self.kind, key, .after(.milliseconds(Int64(random.next() % 20 + 1))))
                        case 3: try await store.setMany(Self.kind, [key: value, key + "-pair": value], expiration: .never)
                        case 4: _ = try await store.get(Self.kind, key, orLoad: { key in ConformanceValue(name: key, n: -1) })
                        case 5: try await store.set(Self.kind, key, value, expiration: .after(.milliseconds(Int64(random.next() % 20 + 1))))
                        default: try await store.set(Self.kind, key, value)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        running.store(false, ordering: .relaxed)
        let stats = try store.stats(Self.kind)
        #expect(stats.evictions > 0 && stats.expirations > 0 && stats.loads > 0, "the stress evicted, expired and loaded: \(stats)")
        try store.removeExpired()  // what expired since the sweeper's last pass, now (the clock stands still)
        try await store.flush()

        var memory: [String: Versioned<ConformanceValue>] = [:]
        for key in try store.keys(Self.kind) { memory[key] = try store.getVersioned(Self.kind, key) }
        #expect(memory.count <= 64)
        var stored: [String: Versioned<ConformanceValue>] = [:]
        for row in backend.stored where row.kind == Self.kind {
            stored[row.key] = Versioned(value: try JSONDecoder().decode(ConformanceValue.self, from: Data(row.value)),
                                        version: row.version)
        }
        let differing = Set(memory.keys).union(stored.keys).filter { memory[$0] != stored[$0] }.sorted()
        #expect(differing.isEmpty, "memory and storage differ on \(differing.count) keys: \(differing.prefix(5).map { "\($0): memory \(String(describing: memory[$0])), storage \(String(describing: stored[$0]))" })")
        try await store.close()

        let reopened = try await DurableStore<ConformanceValue>.open(
            backend: backend, mode: writeMode, options: StoreOptions(clock: clock))
        var loaded: [String: Versioned<ConformanceValue>] = [:]
        for key in try reopened.keys(Self.kind) { loaded[key] = try reopened.getVersioned(Self.kind, key) }
        #expect(loaded == memory, "a store reopened on the storage loads what memory held")
        try await reopened.close()
    }
}
