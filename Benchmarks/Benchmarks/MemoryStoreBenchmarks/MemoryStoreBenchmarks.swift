import Benchmark
import Zestor

/// The value of Benchmarks/README.md.
struct BenchValue: Codable, Equatable, Sendable {
    var name: String
    var n: Int
}

/// xorshift64*: a cheap per-benchmark key picker.
struct KeyPicker {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    let keys: [String]

    mutating func next() -> String {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        let random = state &* 0x2545_F491_4F6C_DD1D
        return keys[Int(truncatingIfNeeded: ((random >> 32) &* UInt64(keys.count)) >> 32)]
    }
}

let kind = "bench"
let keys = (0..<100_000).map { "key-\($0)" }
let missingKeys = (0..<100_000).map { "miss-\($0)" }

/// A MemoryStore preloaded with `key-0` … `key-99999`.
func preloadedStore() -> MemoryStore<BenchValue> {
    let store = MemoryStore<BenchValue>()
    for (index, key) in keys.enumerated() { _ = try? store.set(kind, key, BenchValue(name: "v", n: index)) }
    return store
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 2_000_000
    )

    let store = preloadedStore()

    Benchmark("get_hit") { benchmark in
        var picker = KeyPicker(keys: keys)
        for _ in benchmark.scaledIterations {
            blackHole(try store.get(kind, picker.next()))
        }
    }

    Benchmark("get_miss") { benchmark in
        var picker = KeyPicker(keys: missingKeys)
        for _ in benchmark.scaledIterations {
            blackHole(try store.get(kind, picker.next()))
        }
    }

    Benchmark("set_update") { benchmark in
        var picker = KeyPicker(keys: keys)
        var counter = 1_000_000
        for _ in benchmark.scaledIterations {
            counter += 1
            blackHole(try store.set(kind, picker.next(), BenchValue(name: "v", n: counter)))
        }
    }

    Benchmark("mixed_90_10") { benchmark in
        var picker = KeyPicker(keys: keys)
        var counter = 2_000_000
        for iteration in benchmark.scaledIterations {
            if iteration % 10 == 0 {
                counter += 1
                blackHole(try store.set(kind, picker.next(), BenchValue(name: "v", n: counter)))
            } else {
                blackHole(try store.get(kind, picker.next()))
            }
        }
    }

    Benchmark("list_100k", configuration: .init(maxDuration: .seconds(3), maxIterations: 500)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try store.list(kind, where: []))
        }
    }

    Benchmark("count") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try store.count(kind))
        }
    }

    // One watcher consumes for the whole run; it is created once, outside the measured closure.
    let watched = preloadedStore()
    if let watch = try? watched.watch(kind, options: WatchOptions(bufferSize: 1 << 16)) {
        Task {
            do { for try await event in watch { blackHole(event) } } catch {}
        }
    }

    Benchmark("set_with_watcher") { benchmark in
        var picker = KeyPicker(keys: keys)
        var counter = 3_000_000
        for _ in benchmark.scaledIterations {
            counter += 1
            blackHole(try watched.set(kind, picker.next(), BenchValue(name: "v", n: counter)))
        }
    }
}
