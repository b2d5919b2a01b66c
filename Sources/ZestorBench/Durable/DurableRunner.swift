import Foundation
import Zestor

/// Runs the durable workloads against each database provider and returns their measurements.
struct DurableRunner {
    let keys: [String]
    let duration: Double
    /// Writer counts of `durable_set_update`.
    let writerCounts: [Int]
    /// Subject names to run (`sqlite_through`, `sqlite_behind`, `sqlite_raw`, `postgres_latency`, …);
    /// nil runs all.
    let subjectFilter: Set<String>?
    let progress: @Sendable (String) -> Void

    func run(_ workload: DurableWorkload, on provider: any DurableBackendProvider) async throws -> [Measurement] {
        switch workload {
        case .setUpdate: try await setUpdate(on: provider)
        case .open1M: try await open(on: provider, rows: DurableWorkload.openRows)
        case .remoteEventLatency: try await remoteEventLatency(on: provider)
        }
    }

    private func included(_ name: String) -> Bool {
        subjectFilter?.contains(name) ?? true
    }

    /// The raw baseline at one writer, then every subject at every writer count, subjects
    /// alternating within each writer count; each store is opened and preloaded once.
    private func setUpdate(on provider: any DurableBackendProvider) async throws -> [Measurement] {
        let workload = DurableWorkload.setUpdate
        var measurements: [Measurement] = []
        let rawName = "\(provider.name)_raw"
        if included(rawName) {
            progress("\(workload.rawValue): \(rawName) (building \(keys.count) rows, then one transaction)")
            let raw = try await provider.measureRawSetUpdate(keys: keys, seconds: duration)
            measurements.append(Measurement(subject: rawName, workload: workload.reportedName, threads: 1,
                                            opsPerSecond: Double(raw.ops) / raw.seconds))
        }
        var stores: [(subject: DurableSubject, store: DurableStore<BenchValue>)] = []
        for mode in DurableSubject.Mode.allCases {
            let subject = DurableSubject(provider: provider, mode: mode)
            guard included(subject.name) else { continue }
            progress("\(workload.rawValue): \(subject.name) preloading \(keys.count) keys")
            stores.append((subject, try await subject.openPreloaded(keys)))
        }
        for (round, writers) in writerCounts.enumerated() {
            for (subject, store) in stores {
                progress("\(workload.rawValue) ×\(writers): \(subject.name)"
                    + (subject.mode == .behind ? " (then flush)" : ""))
                let result = try await DurableWriters.setUpdate(
                    store, writers: writers, keys: keys, seconds: duration,
                    counterBase: (round + 1) << 47, flush: subject.mode == .behind)
                measurements.append(Measurement(subject: subject.name, workload: workload.reportedName,
                                                threads: writers, opsPerSecond: Double(result.ops) / result.seconds))
            }
        }
        for (subject, store) in stores {
            progress("\(workload.rawValue): closing \(subject.name)")
            try await store.close()
        }
        return measurements
    }

    /// Builds a store of `rows` rows once, then times opening a write-through store over it
    /// (backend creation, bulk load and decode, close).
    private func open(on provider: any DurableBackendProvider, rows: Int) async throws -> [Measurement] {
        let workload = DurableWorkload.open1M
        let subject = DurableSubject(provider: provider, mode: .through)
        guard included(subject.name) else { return [] }
        progress("\(workload.rawValue): building \(rows) rows (\(provider.name))")
        let makeBackend = try await provider.populatedStorage(rows: rows)
        progress("\(workload.rawValue): opening \(subject.name)")
        let clock = ContinuousClock()
        let start = clock.now
        let store = try await DurableStore<BenchValue>.open(backend: try await makeBackend(), mode: .writeThrough)
        let count = try store.count(BenchData.kind)
        try await store.close()
        let elapsed = clock.now - start
        precondition(count == rows, "open_1m loaded \(count) rows, not \(rows)")
        let seconds = elapsed.inSeconds
        return [Measurement(subject: subject.name, workload: workload.reportedName, threads: 1,
                            opsPerSecond: Double(rows) / seconds)]
    }

    /// `<database>_latency`: p50 and p99 of ``RemoteEventLatency`` (the value column holds
    /// milliseconds); nothing for a database without a change feed.
    private func remoteEventLatency(on provider: any DurableBackendProvider) async throws -> [Measurement] {
        let subject = "\(provider.name)_latency"
        guard included(subject), let pair = try await provider.backendPair(subject) else { return [] }
        progress("\(DurableWorkload.remoteEventLatency.rawValue): \(subject), \(RemoteEventLatency.events) paced sets from store A to a watcher of store B")
        let latencies = try await RemoteEventLatency.measure(writer: pair.writer, watcher: pair.watcher)
        return [
            Measurement(subject: subject, workload: RemoteEventLatency.p50Workload, threads: 1,
                        opsPerSecond: RemoteEventLatency.percentile(0.5, of: latencies)),
            Measurement(subject: subject, workload: RemoteEventLatency.p99Workload, threads: 1,
                        opsPerSecond: RemoteEventLatency.percentile(0.99, of: latencies)),
        ]
    }
}
