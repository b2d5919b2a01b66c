import Foundation
import Zestor

/// The `cache_trace` workload: replays traces (one key id per line) through a bounded kind of a
/// `MemoryStore` with `get(_:_:orLoad:)`, once per eviction policy and capacity, and reports
/// each miss ratio (`stats.misses / requests`) as `memory miss_ratio:<trace>:<capacity>:<policy> 1 <ratio>`.
/// The `default` line uses a kind that names no policy.
struct CacheTraceReplay {
    let traces: [String]
    let capacities: [Int]
    let shardCount: Int?
    let progress: @Sendable (String) -> Void

    /// The policies replayed, `nil` standing for "none named" (the `default` line).
    static var policies: [EvictionPolicy?] { EvictionPolicy.allCases + [nil] }

    func run() async throws -> [Measurement] {
        var measurements: [Measurement] = []
        for path in traces {
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            progress("reading \(name)")
            let requests = try Self.read(path)
            for capacity in capacities {
                for policy in Self.policies {
                    let label = policy?.rawValue ?? "default"
                    progress("cache_trace \(name) capacity \(capacity): \(label)")
                    let ratio = try await missRatio(requests, capacity: capacity, policy: policy)
                    measurements.append(Measurement(subject: "memory", workload: "miss_ratio:\(name):\(capacity):\(label)",
                                                    threads: 1, opsPerSecond: ratio))
                }
            }
        }
        return measurements
    }

    /// Replays `requests` once through a fresh kind bounded to `capacity`.
    func missRatio(_ requests: [String], capacity: Int, policy: EvictionPolicy?) async throws -> Double {
        let options = try policy.map { try CacheOptions(capacity: capacity, eviction: $0) } ?? CacheOptions(capacity: capacity)
        let store = shardCount.map { MemoryStore<BenchValue>(options: StoreOptions(caches: ["trace": options]), shardCount: $0) }
            ?? MemoryStore<BenchValue>(options: StoreOptions(caches: ["trace": options]))
        defer { try? store.close() }
        let value = BenchValue(name: "loaded", n: 0)
        for key in requests {
            _ = try await store.get("trace", key, orLoad: { _ in value })
        }
        let stats = try store.stats("trace")
        return Double(stats.misses) / Double(requests.count)
    }

    /// The key ids of a trace file, one per non-empty line.
    static func read(_ path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).map(String.init)
    }
}
