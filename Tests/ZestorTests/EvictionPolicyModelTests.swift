import Testing
import Zestor

/// Model-based tests of the eviction policies: a bounded kind (one shard, so its share is the
/// whole capacity) and a reference implementation of the same policy are fed the same random
/// sequence of reads, writes and deletes; the kind's eviction events must name the same victims
/// in the same order, and both must hold the same keys throughout.
@Suite("Eviction policies match their reference implementations")
struct EvictionPolicyModelTests {
    @Test("Same victims as the reference", arguments: EvictionPolicy.allCases, [7, 64])
    func sameVictims(_ policy: EvictionPolicy, _ capacity: Int) async throws {
        switch policy {
        case .lru: try await compare(policy, capacity, ReferenceLRU(capacity: capacity))
        case .sieve: try await compare(policy, capacity, ReferenceSIEVE(capacity: capacity))
        case .s3fifo: try await compare(policy, capacity, ReferenceS3FIFO(capacity: capacity))
        }
    }

    private func compare<Reference: ReferencePolicy>(_ policy: EvictionPolicy, _ capacity: Int,
                                                     _ initial: Reference) async throws {
        var reference = initial
        let options = StoreOptions<Int>(caches: ["k": try CacheOptions(capacity: capacity, eviction: policy)])
        let store = MemoryStore<Int>(options: options, shardCount: 1)
        let watch = try store.watch("k", options: WatchOptions(bufferSize: 1 << 17))
        var random = SystemRandomNumberGenerator()
        var expectedVictims: [String] = []
        // Keys drawn from a skewed universe about 4× the capacity, so there are hits, returns
        // from the ghost queue and evictions of every kind.
        let universe = capacity * 4
        for step in 0..<20_000 {
            let key = "k\(Int.random(in: 0..<universe, using: &random) % (Bool.random() ? universe : capacity))"
            let present = reference.keys.contains(key)
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5:
                let value = try store.get("k", key)
                #expect((value != nil) == present, "step \(step): get \(key)")
                if present { reference.access(key) }
            case 5..<9:
                _ = try store.set("k", key, step)
                if present {
                    reference.access(key)
                } else if let victim = reference.insert(key) {
                    expectedVictims.append(victim)
                }
            default:
                _ = try store.delete("k", key)
                reference.remove(key)
            }
            if step % 1000 == 0 {
                #expect(Set(try store.keys("k")) == reference.keys, "step \(step): the keys held")
            }
        }
        #expect(Set(try store.keys("k")) == reference.keys, "the keys held at the end")
        try store.close()
        let victims = try await allEvents(watch).filter { $0.cause == .evicted }.map(\.key)
        #expect(victims.count == expectedVictims.count)
        let firstDifference = zip(victims, expectedVictims).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(firstDifference == nil, "first different victim: \(String(describing: firstDifference))")
    }
}
