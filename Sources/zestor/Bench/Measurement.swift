/// One result line: `<subject> <workload> <threads> <ops_per_sec>`.
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

    /// The plain-format line.
    var plainLine: String { "\(subject) \(workload) \(threads) \(Int(opsPerSecond.rounded()))" }
}
