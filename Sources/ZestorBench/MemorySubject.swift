import Zestor

/// `memory`: a `MemoryStore` through its synchronous API.
final class MemorySubject: BenchSubject {
    let store: MemoryStore<BenchValue>
    var name: String { "memory" }
    var isThreadSafe: Bool { true }

    /// A store (with `options`: e.g. the bench kind configured as a cache) holding `keys`.
    init(preloading keys: [String], shardCount: Int?, options: StoreOptions<BenchValue> = .init()) {
        store = shardCount.map { MemoryStore(options: options, shardCount: $0) } ?? MemoryStore(options: options)
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

    func snapshotIterate() -> Int {
        guard let snapshot = try? store.snapshot(BenchData.kind) else { return 0 }
        var entries = 0, sum = 0
        for entry in snapshot {
            entries &+= 1
            sum &+= entry.value.n
        }
        return sum == -1 ? 0 : entries
    }
}
