import Zestor

/// `remote_event_latency`: how long a write-through `set` on store A takes to reach a watcher of
/// store B, a second store over the same storage that learns of A's commits only through the
/// backend's change feed. Each value carries its send time (`n`, nanoseconds since a start both
/// sides share); B's watcher subtracts it from its receive time.
enum RemoteEventLatency {
    /// The workload columns of the two reported percentiles (values in milliseconds).
    static let p50Workload = "remote_event_p50_ms"
    static let p99Workload = "remote_event_p99_ms"
    /// Sets made by A.
    static let events = 2_000
    /// The pace of A's sets: one per interval (the table's note says "one per ms").
    static let interval = Duration.milliseconds(1)
    /// How long B may take to receive the last event (and the warm-up one).
    static let receiveTimeout = Duration.seconds(10)

    struct MissingEvents: Error, CustomStringConvertible {
        let received: Int
        var description: String {
            "remote_event_latency: the watcher received \(received) of \(RemoteEventLatency.events) events within \(RemoteEventLatency.receiveTimeout)"
        }
    }

    /// Opens A over `writer` and B over `watcher` (write-through), waits until a warm-up set
    /// reaches B, then makes ``events`` paced sets of new keys on A; returns every latency in
    /// milliseconds, sorted. Closes both stores.
    static func measure(writer: any PersistenceBackend, watcher: any PersistenceBackend) async throws -> [Double] {
        let storeA = try await DurableStore<BenchValue>.open(backend: writer, mode: .writeThrough)
        let storeB = try await DurableStore<BenchValue>.open(backend: watcher, mode: .writeThrough)
        do {
            let latencies = try await measure(from: storeA, to: storeB)
            try await storeA.close()
            try await storeB.close()
            return latencies
        } catch {
            try? await storeA.close()
            try? await storeB.close()
            throw error
        }
    }

    private static func measure(from storeA: DurableStore<BenchValue>, to storeB: DurableStore<BenchValue>) async throws -> [Double] {
        let clock = ContinuousClock()
        let origin = clock.now
        @Sendable func nanoseconds() -> Int {
            let elapsed = clock.now - origin
            return elapsed.inNanoseconds
        }
        let watch = try storeB.watch(BenchData.kind, options: WatchOptions(bufferSize: events * 2))
        let receiver = Task { () async throws -> [Double] in
            var latencies: [Double] = []
            latencies.reserveCapacity(events)
            for try await event in watch where event.key.hasPrefix("latency-") {
                latencies.append(Double(nanoseconds() - event.value.n) / 1e6)
                if latencies.count == events { break }
            }
            return latencies
        }
        defer { watch.cancel() }

        // Warm-up: B's change feed is connected and delivering before the measured sets.
        _ = try await storeA.set(BenchData.kind, "warmup", BenchValue(name: "v", n: 0))
        let warmupDeadline = clock.now + receiveTimeout
        while try storeB.get(BenchData.kind, "warmup") == nil {
            guard clock.now < warmupDeadline else { throw MissingEvents(received: 0) }
            try await Task.sleep(for: .milliseconds(1))
        }

        let sendStart = clock.now
        for index in 0..<events {
            try await clock.sleep(until: sendStart + interval * index)
            _ = try await storeA.set(BenchData.kind, "latency-\(index)", BenchValue(name: "v", n: nanoseconds()))
        }
        let timeout = Task {
            try? await Task.sleep(for: receiveTimeout)
            watch.cancel()
        }
        let latencies = try await receiver.value
        timeout.cancel()
        guard latencies.count == events else { throw MissingEvents(received: latencies.count) }
        return latencies.sorted()
    }

    /// The nearest-rank percentile `fraction` (0…1) of `sorted`, which is not empty.
    static func percentile(_ fraction: Double, of sorted: [Double]) -> Double {
        let rank = Int((Double(sorted.count) * fraction).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
