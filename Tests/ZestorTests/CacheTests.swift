import Synchronization
import Testing
@testable import Zestor

/// What `MemoryStore` promises about its cache beyond the conformance suite: how a bound is
/// shared among shards, the background sweeper, and what caching costs kinds that do not use it.
@Suite("MemoryStore as a cache")
struct CacheTests {
    /// The entries of `kind` in each shard.
    private func shardCounts(_ store: MemoryStore<Int>, _ kind: String) -> [Int] {
        store.shards.map { shard in
            shard.lockShared()
            defer { shard.unlock() }
            return shard.index(of: kind).map { shard.tables[$0].entries.count } ?? 0
        }
    }

    @Test("Shard i of n holds at most capacity / n (+1 for i < capacity % n) entries: the kind at most its capacity")
    func sharesBoundTheKind() throws {
        let capacity = 100
        let store = MemoryStore<Int>(options: StoreOptions(caches: ["k": try CacheOptions(capacity: capacity)]), shardCount: 8)
        #expect(store.shardCount == 8)
        let shares = (0..<8).map { capacity / 8 + ($0 < capacity % 8 ? 1 : 0) }
        #expect(shares.reduce(0, +) == capacity)
        var random = SystemRandomNumberGenerator()
        for index in 0..<10_000 {
            try store.set("k", "key-\(UInt64.random(in: 0..<1_000_000, using: &random))", index)
            if index % 500 == 0 {
                let counts = shardCounts(store, "k")
                #expect(zip(counts, shares).allSatisfy { $0 <= $1 }, "shard counts \(counts) within shares \(shares)")
                #expect(try store.count("k") == counts.reduce(0, +))
            }
        }
        // 10,000 random keys fill every share.
        #expect(shardCounts(store, "k") == shares)
        #expect(try store.count("k") == capacity)
        try store.close()
    }

    @Test("A store with a bound below its shard count uses fewer shards, each holding at least one entry",
          arguments: [(1, 1), (5, 4), (31, 16), (32, 32), (1_000, 32)])
    func shardsFollowTheSmallestBound(_ capacity: Int, _ expectedShards: Int) throws {
        let store = MemoryStore<Int>(options: StoreOptions(caches: [
            "small": try CacheOptions(capacity: capacity), "large": try CacheOptions(capacity: 1_000_000),
        ]))
        #expect(store.shardCount == expectedShards)
        // Enough keys that every shard receives far more than its share: every share fills.
        for index in 0..<max(capacity * 50, 2_000) { try store.set("small", "k\(index)", index) }
        #expect(try store.count("small") == capacity)
        try store.close()
    }

    @Test("The background sweeper removes expired entries and publishes their .delete (expired) events")
    func backgroundSweeper() async throws {
        let clock = ManualExpiryClock()
        let store = MemoryStore<Int>(options: StoreOptions(clock: clock, sweep: try SweepOptions(interval: .milliseconds(5))))
        try store.set("sessions", "a", 1, expiration: .after(.seconds(30)))
        try store.set("sessions", "b", 2)
        let watch = try store.watch("sessions", options: WatchOptions())
        clock.advance(by: .seconds(30))
        let event = try await withDeadline(10, "the sweeper's event") { () -> Event<Int>? in
            for try await event in watch { return event }
            return nil
        }
        #expect(event?.key == "a" && event?.type == .delete && event?.cause == .expired && event?.value == 1)
        #expect(try store.stats("sessions").expirations == 1)
        #expect(try store.keys("sessions") == ["b"])
        try store.close()
    }

    @Test("Kinds that are not caches keep no cache state; a kind becomes one by an expiring write or a load")
    func cacheStateOnlyWhereUsed() async throws {
        let store = MemoryStore<Int>(options: StoreOptions(caches: ["configured": try CacheOptions(capacity: 64)]))
        func hasCacheState(_ kind: String) -> Bool {
            store.shards.contains { shard in
                shard.lockShared()
                defer { shard.unlock() }
                return shard.index(of: kind).map { shard.tables[$0].cache != nil } ?? false
            }
        }
        try store.set("plain", "a", 1)
        try store.set("plain", "b", 2, expiration: .never)
        #expect(!hasCacheState("plain"))
        #expect(try store.stats("plain") == CacheStats())
        #expect(hasCacheState("configured"))
        try store.set("ttl", "a", 1, expiration: .after(.seconds(60)))
        #expect(hasCacheState("ttl"))
        _ = try await store.get("loaded", "a", orLoad: { _ in 5 })
        #expect(hasCacheState("loaded"))
        #expect(try store.stats("loaded").loads == 1)
        try store.close()
    }

    @Test("An expired entry no longer counts: a write to its key creates it again, update and compare-and-set see it absent")
    func expiredEntriesAreAbsentToWrites() throws {
        let clock = ManualExpiryClock()
        let store = MemoryStore<Int>(options: StoreOptions(clock: clock, sweep: try SweepOptions(interval: .seconds(3600))))
        try store.set("k", "a", 1, expiration: .after(.seconds(1)))
        let version = try #require(try store.getVersioned("k", "a")?.version)
        clock.advance(by: .seconds(1))
        #expect(throws: StoreError.keyNotFound(kind: "k", key: "a")) { try store.update("k", "a") { $0 += 1 } }
        try store.set("k", "b", 1, expiration: .after(.seconds(1)))
        clock.advance(by: .seconds(1))
        #expect(throws: StoreError.versionConflict(kind: "k", key: "b", expected: version, actual: nil)) {
            try store.compareAndSet("k", "b", 2, expectedVersion: version)
        }
        #expect(try store.compareAndSet("k", "b", 3, expectedVersion: nil) == 1)
        #expect(try store.delete("k", "a") == nil)
        try store.close()
    }
}

@Suite("SystemExpiryClock")
struct SystemExpiryClockTests {
    @Test("hasPassed answers exactly as the precise clock, around the coarse clock's ticks too")
    func hasPassedIsExact() {
        let clock = SystemExpiryClock()
        #expect(clock.hasPassed(clock.monotonicNanoseconds - 1))
        #expect(!clock.hasPassed(clock.monotonicNanoseconds + 1_000_000_000))
        // Deadlines from 20 ms before to 20 ms after now, around many ticks: the answer must lie
        // between a precise reading taken before it and one taken after it.
        for step in 0..<20_000 {
            let offset = Int64(step % 400 - 200) * 100_000
            let before = clock.monotonicNanoseconds
            let deadline = before + offset
            let passed = clock.hasPassed(deadline)
            let after = clock.monotonicNanoseconds
            if passed {
                #expect(deadline <= after, "a deadline \(offset) ns from now passed before the clock reached it")
            } else {
                #expect(deadline > before, "a deadline \(offset) ns from now reported not passed after the clock reached it")
            }
        }
    }
}
