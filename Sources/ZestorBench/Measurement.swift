import Foundation

/// One result line: `<subject> <workload> <threads> <ops_per_sec>`. For latency workloads (whose
/// name ends in `_ms`) the value is milliseconds instead, printed with three decimals.
struct Measurement: Codable, Sendable, Equatable {
    var subject: String
    var workload: String
    var threads: Int
    var opsPerSecond: Double
    /// For watcher workloads: whether a watcher overflowed (it must not).
    var watcherOverflowed: Bool?

    enum CodingKeys: String, CodingKey {
        case subject, workload, threads
        case opsPerSecond = "ops_per_sec"
        case watcherOverflowed = "watcher_overflowed"
    }

    /// Whether the value is a latency in milliseconds rather than ops/s.
    var isMilliseconds: Bool { workload.hasSuffix("_ms") }

    /// Whether the value is a ratio (0–1: `miss_ratio:…`) rather than ops/s.
    var isRatio: Bool { workload.hasPrefix("miss_ratio:") }

    /// The plain-format line.
    var plainLine: String {
        let value = isMilliseconds ? String(format: "%.3f", opsPerSecond)
            : isRatio ? String(format: "%.4f", opsPerSecond) : "\(Int(opsPerSecond.rounded()))"
        return "\(subject) \(workload) \(threads) \(value)"
    }
}
