import Zestor

/// `memory` with the bench kind configured as a cache (``CacheWorkload/cacheOptions(capacity:)``).
final class CacheSubject: BenchSubject {
    let store: MemoryStore<BenchValue>
    var name: String { "memory" }
    var isThreadSafe: Bool { true }

    init(_ options: CacheOptions, preloading keys: [String], shardCount: Int?) {
        let storeOptions = StoreOptions<BenchValue>(caches: [BenchData.kind: options])
        store = shardCount.map { MemoryStore(options: storeOptions, shardCount: $0) } ?? MemoryStore(options: storeOptions)
        for (index, key) in keys.enumerated() {
            _ = try? store.set(BenchData.kind, key, BenchValue(name: "v", n: index))
        }
    }

    @inline(__always)
    func get(_ key: String) -> BenchValue? {
        (try? store.get(BenchData.kind, key)) ?? nil
    }

    @inline(__always)
    func set(_ key: String, _ value: BenchValue) {
        _ = try? store.set(BenchData.kind, key, value)
    }

    func list() -> Int { (try? store.list(BenchData.kind, where: []).count) ?? 0 }
    func count() -> Int { (try? store.count(BenchData.kind)) ?? 0 }
}
