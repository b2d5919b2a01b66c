import Foundation
import Synchronization
import Testing
import Zestor

/// The cache under concurrency, run under Thread Sanitizer by `Scripts/tsan.sh`: writers giving
/// random expirations to a bounded kind (so entries are evicted and expire all the time), readers
/// (get, list, count), loads through `get(orLoad:)`, the background sweeper and a thread moving
/// the clock, with watchers reconstructing the kind. Each watcher's reconstruction must equal the
/// final contents, and the kind must never exceed its capacity.
@Suite("Cache stress", .serialized)
struct CacheStressTests {
    static let kind = "cache"

    @Test(arguments: EvictionPolicy.allCases, 1...2)
    func watchersConvergeThroughEvictionsExpiriesAndLoads(policy: EvictionPolicy, round: Int) async throws {
        let clock = ManualExpiryClock()
        let capacity = 256
        let options = StoreOptions<Int>(
            caches: [Self.kind: try CacheOptions(timeToLive: .milliseconds(40), capacity: capacity, eviction: policy)],
            clock: clock, sweep: try SweepOptions(interval: .milliseconds(2), batchSize: 16))
        let store = MemoryStore<Int>(options: options, shardCount: 8)
        let watches = try (0..<2).map { _ in try store.watch(Self.kind, options: WatchOptions(bufferSize: 1 << 18)) }
        let writers = 2, opsPerWriter = 15_000, keySpace = 1024
        let results = try await withDeadline(180, "cache stress round \(round)") {
            try await withThrowingTaskGroup(of: (Reconstruction<Int>, Bool).self) { group -> [(Reconstruction<Int>, Bool)] in
                for watch in watches {
                    group.addTask {
                        var reconstruction = Reconstruction<Int>()
                        for try await event in watch { reconstruction.apply(event) }
                        return (reconstruction, true)
                    }
                }
                let writing = Atomic<Bool>(true)
                let reader = Task {
                    var random = XorShift(seed: UInt64(round))
                    var reads = 0
                    // At least 500 reads, however soon the writers finish (so there are loads).
                    while writing.load(ordering: .relaxed) || reads < 500 {
                        reads += 1
                        let key = "k\(Int(random.next() % UInt64(keySpace)))"
                        _ = try await store.get(Self.kind, key, orLoad: { key in key.count })
                        let count = try store.count(Self.kind)
                        #expect(count <= capacity, "a bounded kind held \(count) entries")
                        #expect(try store.list(Self.kind, where: []).count <= capacity)
                    }
                }
                await onThreads(writers + 1) { thread in
                    var random = XorShift(seed: UInt64(round * 100 + thread + 1))
                    if thread == writers {
                        // The clock: a millisecond per step (every 50 µs of real time) while the
                        // writers run. It sleeps between steps so as not to starve other tests.
                        while writing.load(ordering: .relaxed) {
                            clock.advance(by: .milliseconds(1))
                            _ = try? store.get(Self.kind, "k0")
                            usleep(50)
                        }
                        return
                    }
                    for op in 0..<opsPerWriter {
                        let key = "k\(Int(random.next() % UInt64(keySpace)))"
                        switch random.next() % 12 {
                        case 0: _ = try? store.delete(Self.kind, key)
                        case 1: _ = try? store.update(Self.kind, key) { $0 += 1 }
                        case 2: _ = try? store.setExpiration(Self.kind, key, .after(.milliseconds(Int64(random.next() % 30 + 1))))
                        case 3: try? store.setMany(Self.kind, [key: op, "\(key)-pair": op], expiration: .never)
                        case 4: _ = try? store.set(Self.kind, key, op, expiration: .after(.milliseconds(Int64(random.next() % 30 + 1))))
                        default: _ = try? store.set(Self.kind, key, op)
                        }
                    }
                    if thread == 0 { writing.store(false, ordering: .relaxed) }
                }
                writing.store(false, ordering: .relaxed)
                try await reader.value
                clock.advance(by: .seconds(1))
                _ = try store.removeExpired()
                let final = try store.list(Self.kind, where: [])
                #expect(final.count <= capacity)
                #expect(try store.count(Self.kind) == final.count)
                let stats = try store.stats(Self.kind)
                #expect(stats.evictions > 0 && stats.expirations > 0 && stats.loads > 0,
                        "the stress evicted, expired and loaded: \(stats)")
                try store.close()
                var results: [(Reconstruction<Int>, Bool)] = []
                for try await result in group { results.append(result) }
                return results.map { ($0.0, $0.0.state == final) }
            }
        }
        #expect(results.count == 2)
        for (reconstruction, matches) in results {
            #expect(reconstruction.impossibleEvents == 0, "a watcher received events that contradict the order of writes")
            #expect(matches, "a watcher's reconstruction differs from the final contents")
        }
    }
}
