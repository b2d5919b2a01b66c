import Foundation
import Zestor

/// Runs the cache workloads, each interleaved with its reference on a plain `memory` store.
struct CacheWorkloadRunner {
    let data: BenchData
    let duration: Double
    let slices: Int
    let shardCount: Int?
    let progress: @Sendable (String) -> Void

    func run(_ workload: CacheWorkload, threads: Int) async throws -> [Measurement] {
        let options = StoreOptions<BenchValue>(caches: [BenchData.kind: try workload.cacheOptions(capacity: data.keys.count)])
        var measured = (ops: 0, seconds: 0.0), reference = (ops: 0, seconds: 0.0)
        let sliceSeconds = duration / Double(slices)
        var cache = MemorySubject(preloading: data.keys, shardCount: shardCount, options: options)
        var plain = MemorySubject(preloading: data.keys, shardCount: shardCount)
        // A kind bounded to 100,000 keeps each shard's share, so a shard that drew more of the
        // keys than its share evicted some: gets draw from the keys still present.
        let present = data.keys.filter { cache.get($0) != nil }
        for slice in 0..<slices {
            if workload == .setInsertEvicting && slice > 0 {
                cache = MemorySubject(preloading: data.keys, shardCount: shardCount, options: options)
                plain = MemorySubject(preloading: data.keys, shardCount: shardCount)
            }
            progress("\(workload.rawValue) ×\(threads) (\(slice + 1)/\(slices))")
            let result = try await measure(workload, cache, keys: present, threads: threads, seconds: sliceSeconds,
                                           loading: workload == .getOrLoadHit)
            measured.ops += result.ops
            measured.seconds += result.seconds
            progress("\(workload.referenceName) ×\(threads) (\(slice + 1)/\(slices))")
            let base = try await measure(workload, plain, keys: present, threads: threads, seconds: sliceSeconds,
                                         loading: false)
            reference.ops += base.ops
            reference.seconds += base.seconds
        }
        return [
            Measurement(subject: "memory", workload: workload.rawValue, threads: threads,
                        opsPerSecond: Double(measured.ops) / measured.seconds),
            Measurement(subject: "memory", workload: workload.referenceName, threads: threads,
                        opsPerSecond: Double(reference.ops) / reference.seconds),
        ]
    }

    /// One slice of `workload` (or, for the reference, of its plain counterpart) on `subject`.
    /// `get_or_load_hit` runs in tasks, calling `get(orLoad:)` when `loading` and `get` otherwise.
    private func measure(_ workload: CacheWorkload, _ subject: MemorySubject, keys: [String], threads: Int,
                         seconds: Double, loading: Bool) async throws -> (ops: Int, seconds: Double) {
        let newKeys = data.newKeys
        switch workload {
        case .getHitBounded, .getHitTTL:
            return await ThreadRunner.run(threads: threads, seconds: seconds) { thread, stop in
                WorkloadLoops.getHit(subject, keys, seed: UInt64(thread + 1) &* 0x9E37_79B9, stop: stop)
            }
        case .setInsertEvicting:
            return await ThreadRunner.run(threads: threads, seconds: seconds) { _, stop in
                WorkloadLoops.setInsert(subject, newKeys, stop: stop)
            }
        case .getOrLoadHit:
            let store = subject.store
            return try await TaskRunner.run(tasks: threads, seconds: seconds) { task, stop in
                var random = XorShift(seed: UInt64(task + 1) &* 0x9E37_79B9)
                var ops = 0
                while !stop.isStopped {
                    for _ in 0..<WorkloadLoops.batch {
                        let key = keys[random.index(below: keys.count)]
                        let value = loading
                            ? try await store.get(BenchData.kind, key, orLoad: { _ in BenchValue(name: "loaded", n: 0) })
                            : try store.get(BenchData.kind, key)
                        precondition(value?.name == "v", "get_or_load_hit: a present key missed")
                    }
                    ops += WorkloadLoops.batch
                }
                return ops
            }
        }
    }
}

/// Runs a loop in `tasks` concurrent tasks (on the Swift concurrency pool) for a fixed duration:
/// for workloads whose operation is `async`. The loops may never suspend (a hit completes
/// synchronously) and so occupy every pool thread (and Dispatch's global queue, which the pool
/// shares on Linux): the stop signal comes from a dedicated thread.
enum TaskRunner {
    static func run(tasks: Int, seconds: Double,
                    _ body: @escaping @Sendable (_ task: Int, _ stop: ThreadRunner.StopSignal) async throws -> Int)
        async throws -> (ops: Int, seconds: Double) {
        let stop = ThreadRunner.StopSignal()
        let start = ContinuousClock.now
        let timer = Thread {
            Thread.sleep(forTimeInterval: seconds)
            stop.stop()
        }
        timer.start()
        let ops = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<tasks { group.addTask { try await body(index, stop) } }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        return (ops, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
