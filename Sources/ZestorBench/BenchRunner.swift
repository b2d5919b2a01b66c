import Synchronization
import Zestor

/// Runs the memory workloads on `MemoryStore` and the dictionary baselines in one process,
/// interleaving the subjects in `slices` rounds so machine drift hits them alike.
struct BenchRunner {
    let data: BenchData
    let duration: Double
    let slices: Int
    let shardCount: Int?
    /// Subject names to run; nil runs all.
    let subjectFilter: Set<String>?
    let progress: @Sendable (String) -> Void

    /// Runs `workload` at `threads` threads; returns one measurement per subject.
    func run(_ workload: Workload, threads: Int) async -> [Measurement] {
        switch workload {
        case .setWithWatcher, .fanout:
            return await runWithWatchers(workload)
        case .setInsert:
            return await runInterleaved(workload, threads: threads, fresh: true)
        default:
            return await runInterleaved(workload, threads: threads, fresh: false)
        }
    }

    private func subjects(_ workload: Workload, threads: Int) -> [any BenchSubject] {
        var subjects: [any BenchSubject] = [
            MemorySubject(preloading: data.keys, shardCount: shardCount),
            DictMutexSubject(preloading: data.keys),
        ]
        if threads == 1 { subjects.append(DictUnlockedSubject(preloading: data.keys)) }
        if threads == 1 && workload == .list { subjects.append(DictRebuildSubject(preloading: data.keys)) }
        return subjects.filter { subjectFilter?.contains($0.name) ?? true }
    }

    private func runInterleaved(_ workload: Workload, threads: Int, fresh: Bool) async -> [Measurement] {
        var subjects = subjects(workload, threads: threads)
        var totals = Array(repeating: (ops: 0, seconds: 0.0), count: subjects.count)
        let sliceSeconds = duration / Double(slices)
        for slice in 0..<slices {
            if fresh && slice > 0 { subjects = self.subjects(workload, threads: threads) }
            for (index, subject) in subjects.enumerated() {
                progress("\(workload.rawValue + subject.workloadSuffix) ×\(threads): \(subject.name) (\(slice + 1)/\(slices))")
                let result = await measure(subject, workload, threads: threads, seconds: sliceSeconds)
                totals[index].ops += result.ops
                totals[index].seconds += result.seconds
            }
        }
        return zip(subjects, totals).map { subject, total in
            Measurement(subject: subject.name, workload: workload.rawValue + subject.workloadSuffix, threads: threads,
                        opsPerSecond: Double(total.ops) / total.seconds)
        }
    }

    /// Opens the existential once per slice; the loops below are specialized for `S`.
    private func measure<S: BenchSubject>(_ subject: S, _ workload: Workload, threads: Int,
                                          seconds: Double) async -> (ops: Int, seconds: Double) {
        let data = self.data
        return await ThreadRunner.run(threads: threads, seconds: seconds) { thread, stop in
            let seed = UInt64(thread + 1) &* 0x9E37_79B9
            switch workload {
            case .getHit: return WorkloadLoops.getHit(subject, data.keys, seed: seed, stop: stop)
            case .getMiss: return WorkloadLoops.getMiss(subject, data.missingKeys, seed: seed, stop: stop)
            case .setUpdate, .setWithWatcher, .fanout: return WorkloadLoops.setUpdate(subject, data.keys, seed: seed, stop: stop)
            case .setInsert: return WorkloadLoops.setInsert(subject, data.newKeys, stop: stop)
            case .mixed: return WorkloadLoops.mixed(subject, data.keys, seed: seed, stop: stop)
            case .list: return WorkloadLoops.wholeKind(subject, expected: data.keys.count, stop: stop) { $0.list() }
            case .count: return WorkloadLoops.count(subject, expected: data.keys.count, stop: stop)
            case .snapshotIterate:
                return WorkloadLoops.wholeKind(subject, expected: data.keys.count, stop: stop) { $0.snapshotIterate() }
            }
        }
    }

    /// set_update on one thread with and without watchers, alternating, plus delivered events/s.
    private func runWithWatchers(_ workload: Workload) async -> [Measurement] {
        let subject = MemorySubject(preloading: data.keys, shardCount: shardCount)
        let sliceSeconds = duration / Double(slices)
        var plain = (ops: 0, seconds: 0.0), watched = (ops: 0, seconds: 0.0)
        var delivered = 0
        var overflowed = false
        for slice in 0..<slices {
            progress("\(workload.rawValue): set_update without watchers (\(slice + 1)/\(slices))")
            let reference = await measure(subject, .setUpdate, threads: 1, seconds: sliceSeconds)
            plain.ops += reference.ops
            plain.seconds += reference.seconds

            progress("\(workload.rawValue): with \(workload.watcherCount) watcher(s) (\(slice + 1)/\(slices))")
            let consumers = (0..<workload.watcherCount).map { _ in WatchConsumer(subject.store) }
            let before = consumers.reduce(0) { $0 + $1.received }
            let result = await measure(subject, workload, threads: 1, seconds: sliceSeconds)
            let after = consumers.reduce(0) { $0 + $1.received }
            watched.ops += result.ops
            watched.seconds += result.seconds
            delivered += after - before
            for consumer in consumers {
                overflowed = overflowed || consumer.overflowed
                await consumer.stop()
            }
        }
        return [
            Measurement(subject: "memory", workload: workload.rawValue, threads: 1,
                        opsPerSecond: Double(watched.ops) / watched.seconds, watcherOverflowed: overflowed),
            Measurement(subject: "memory", workload: workload.deliveredName, threads: 1,
                        opsPerSecond: Double(delivered) / watched.seconds, watcherOverflowed: overflowed),
            Measurement(subject: "memory", workload: workload.rawValue + "_reference_set_update", threads: 1,
                        opsPerSecond: Double(plain.ops) / plain.seconds),
        ]
    }
}

/// One watcher consuming events as fast as it can on the concurrency pool, counting them.
final class WatchConsumer: Sendable {
    static let bufferSize = 65_536

    private final class Counters: Sendable {
        let received = Atomic<Int>(0)
        let overflowed = Atomic<Bool>(false)
    }

    private let counters: Counters
    private let watch: Watch<BenchValue>?
    private let task: Task<Void, Never>?

    init(_ store: MemoryStore<BenchValue>) {
        let counters = Counters()
        self.counters = counters
        let watch = try? store.watch(BenchData.kind, options: WatchOptions(bufferSize: Self.bufferSize))
        self.watch = watch
        guard let watch else {
            task = nil
            return
        }
        task = Task {
            do {
                // Counted locally and published every 256 events, so that the harness adds no
                // atomic read-modify-write per event to what is measured.
                var received = 0
                defer { counters.received.store(received, ordering: .relaxed) }
                for try await _ in watch {
                    received &+= 1
                    if received & 255 == 0 { counters.received.store(received, ordering: .relaxed) }
                }
            } catch {
                counters.overflowed.store(true, ordering: .relaxed)
            }
        }
    }

    var received: Int { counters.received.load(ordering: .relaxed) }
    var overflowed: Bool { counters.overflowed.load(ordering: .relaxed) }

    func stop() async {
        watch?.cancel()
        await task?.value
    }
}
