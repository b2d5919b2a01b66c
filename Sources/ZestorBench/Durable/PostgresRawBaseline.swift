import Foundation
import Zestor

/// `postgres_raw`: the practical limit of `set_update` through `PostgresBackend` alone, without a
/// store. After preloading `keys`, it commits batches of 5,000 distinct random existing keys (the
/// default write-behind batch) — the JSON of `BenchValue(name: "v", n: counter)`, encoded by the
/// store's own `JSONCodec` — one transaction per batch, until the duration has passed.
enum PostgresRawBaseline {
    static let batch = 5_000

    /// Measures on `backend`, an empty namespace; the preload is not timed.
    static func measure(_ backend: any PersistenceBackend, keys: [String], seconds: Double) async throws -> (ops: Int, seconds: Double) {
        precondition(keys.count > batch, "postgres_raw needs more keys than one batch")
        let codec = JSONCodec<BenchValue>()
        for start in stride(from: 0, to: keys.count, by: 20_000) {
            try await backend.commit(try keys[start..<min(start + 20_000, keys.count)].enumerated().map { offset, key in
                .upsert(PersistedRow(kind: BenchData.kind, key: key,
                                     value: try codec.encode(BenchValue(name: "v", n: start + offset)), version: 1))
            })
        }
        // A prime step that does not divide the key count visits `batch` distinct keys.
        let step = 7_919
        precondition(keys.count % step != 0, "postgres_raw: the step must not divide the key count")
        var random = XorShift(seed: 0x9E37_79B9)
        var counter = 1 << 40
        var version: UInt64 = 1
        var ops = 0
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .seconds(seconds)
        while clock.now < deadline {
            version += 1
            var index = random.index(below: keys.count)
            var mutations: [PersistedMutation] = []
            mutations.reserveCapacity(batch)
            for _ in 0..<batch {
                counter += 1
                mutations.append(.upsert(PersistedRow(kind: BenchData.kind, key: keys[index],
                                                      value: try codec.encode(BenchValue(name: "v", n: counter)),
                                                      version: version)))
                index = (index + step) % keys.count
            }
            try await backend.commit(mutations)
            ops += batch
        }
        let elapsed = clock.now - start
        return (ops, elapsed.inSeconds)
    }
}
