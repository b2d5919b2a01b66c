import Benchmark
import Foundation
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

    // Writers during sweeps: a background thread fills kind "expiring" with 100,000 entries
    // (one set each), moves the clock past their expiry and sweeps them all at once with
    // removeExpired() (256 removals per shard lock hold), again and again, while the measured
    // loop does set_update on kind "bench" of the same store. Compare its p99.9 with set_update's.
    let clock = ManualExpiryClock()
    let sweeping = MemoryStore<BenchValue>(options: StoreOptions(
        clock: clock, sweep: (try? SweepOptions(interval: .seconds(3600))) ?? .default))
    for (index, key) in keys.enumerated() { _ = try? sweeping.set(kind, key, BenchValue(name: "v", n: index)) }
    let sweeps = SweepLoop(store: sweeping, clock: clock)

    Benchmark("set_update_during_sweep",
              configuration: .init(setup: { sweeps.start() }, teardown: { sweeps.stop() })) { benchmark in
        var picker = KeyPicker(keys: keys)
        var counter = 4_000_000
        for _ in benchmark.scaledIterations {
            counter += 1
            blackHole(try sweeping.set(kind, picker.next(), BenchValue(name: "v", n: counter)))
        }
    }
}

/// The background of `set_update_during_sweep`: fill, expire, sweep, on a dedicated thread.
final class SweepLoop: @unchecked Sendable {
    // @unchecked: `running` is only touched under `lock`; the store and clock are thread-safe.
    private let store: MemoryStore<BenchValue>
    private let clock: ManualExpiryClock
    private let lock = NSLock()
    private var running = false
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)
    private let expiring = (0..<100_000).map { "expiring-\($0)" }

    init(store: MemoryStore<BenchValue>, clock: ManualExpiryClock) {
        self.store = store
        self.clock = clock
    }

    func start() {
        lock.withLock { running = true }
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                for key in expiring { _ = try? store.set("expiring", key, BenchValue(name: "e", n: 0), expiration: .after(.seconds(1))) }
                clock.advance(by: .seconds(1))
                _ = try? store.removeExpired()
            }
            done.signal()
        }
        self.thread = thread
        thread.start()
    }

    func stop() {
        lock.withLock { running = false }
        if thread != nil { done.wait() }
        thread = nil
    }
}
