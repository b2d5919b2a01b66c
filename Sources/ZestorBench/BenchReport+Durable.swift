import Foundation

/// The durable section of the table: ops/s per subject and writer count, and the ratios against
/// the targets of the durable layer (per database: SQLite's against its raw baseline, PostgreSQL's
/// absolute write-behind rate, writer scaling and remote-event latency).
extension BenchReport {
    /// The databases with durable measurements, in a fixed order.
    private var durableDatabases: [String] {
        ["sqlite", "postgres"].filter { database in
            measurements.contains { $0.subject.hasPrefix(database + "_") }
        }
    }

    /// nil when nothing durable was measured.
    var durableTable: String? {
        let databases = durableDatabases
        guard !databases.isEmpty else { return nil }
        let writerCounts = DurableWorkload.writerCounts
        let setUpdate = DurableWorkload.setUpdate.reportedName
        var lines: [String] = []
        for database in databases {
            if !lines.isEmpty { lines.append("") }
            lines.append(pad("durable \(setUpdate) (\(database))", 36)
                + writerCounts.map { pad("×\($0)", 12, right: true) }.joined())
            for subject in ["raw", "through", "behind"].map({ "\(database)_\($0)" }) {
                let rates = writerCounts.map { opsPerSecond(subject, setUpdate, $0) }
                guard rates.contains(where: { $0 != nil }) else { continue }
                lines.append(pad(subject, 36) + rates.map { pad($0.map(Self.rate) ?? "-", 12, right: true) }.joined())
            }
            lines.append(pad("ratio", 40) + pad("value", 14, right: true) + pad("target", 16, right: true))
            lines += database == "postgres" ? postgresTargetLines : sqliteTargetLines(database)
        }
        lines.append("write-behind numbers include the final flush(); \(DurableWorkload.openRows) rows, JSON codec for open_1m")
        if databases.contains("postgres") {
            lines.append("remote_event: \(RemoteEventLatency.events) write-through sets, one per ms, "
                + "by store A until a watcher of store B (same namespace) receives each")
        }
        return lines.joined(separator: "\n")
    }

    /// Write-behind against the raw baseline, writer scaling, open_1m.
    private func sqliteTargetLines(_ database: String) -> [String] {
        let setUpdate = DurableWorkload.setUpdate.reportedName
        let raw = opsPerSecond("\(database)_raw", setUpdate, 1)
        let through1 = opsPerSecond("\(database)_through", setUpdate, 1)
        let through64 = opsPerSecond("\(database)_through", setUpdate, 64)
        let behind1 = opsPerSecond("\(database)_behind", setUpdate, 1)
        let behind64 = opsPerSecond("\(database)_behind", setUpdate, 64)
        let open = opsPerSecond("\(database)_through", DurableWorkload.open1M.reportedName, 1)
        return [
            durableLine("\(database)_behind×1 / \(database)_raw", ratio(behind1, raw), target: 0.5),
            durableLine("\(database)_through×64 / \(database)_through×1", ratio(through64, through1), target: 20),
            durableLine("\(database)_behind×64 / \(database)_raw", ratio(behind64, raw), target: nil),
            durableLine("open_1m (\(database)_through), rows/s", open, target: 500_000, unit: .rate),
        ]
    }

    /// Write-behind ≥ 50,000 sets/s (at one writer), writer scaling, remote-event p99 ≤ 50 ms;
    /// the rest for information.
    private var postgresTargetLines: [String] {
        let setUpdate = DurableWorkload.setUpdate.reportedName
        let raw = opsPerSecond("postgres_raw", setUpdate, 1)
        let through1 = opsPerSecond("postgres_through", setUpdate, 1)
        let through64 = opsPerSecond("postgres_through", setUpdate, 64)
        let behind1 = opsPerSecond("postgres_behind", setUpdate, 1)
        let behind64 = opsPerSecond("postgres_behind", setUpdate, 64)
        let open = opsPerSecond("postgres_through", DurableWorkload.open1M.reportedName, 1)
        let p50 = opsPerSecond("postgres_latency", RemoteEventLatency.p50Workload, 1)
        let p99 = opsPerSecond("postgres_latency", RemoteEventLatency.p99Workload, 1)
        var lines = [
            durableLine("postgres_behind×1, sets/s", behind1, target: 50_000, unit: .rate),
            durableLine("postgres_behind×64, sets/s", behind64, target: nil, unit: .rate),
            durableLine("postgres_through×64 / postgres_through×1", ratio(through64, through1), target: 20),
            durableLine("postgres_behind×1 / postgres_raw", ratio(behind1, raw), target: nil),
            durableLine("remote_event p50 (postgres_latency)", p50, target: nil, unit: .milliseconds),
            durableLine("remote_event p99 (postgres_latency)", p99, target: 50, unit: .milliseconds, atMost: true),
        ]
        if let open { lines.append(durableLine("open_1m (postgres_through), rows/s", open, target: nil, unit: .rate)) }
        return lines
    }

    private func ratio(_ numerator: Double?, _ denominator: Double?) -> Double? {
        guard let numerator, let denominator, denominator > 0 else { return nil }
        return numerator / denominator
    }

    /// How a value and its target print.
    private enum Unit {
        case ratio, rate, milliseconds
    }

    /// `name  value  ≥ target  met|MISSED` (`≤` with `atMost`).
    private func durableLine(_ name: String, _ value: Double?, target: Double?, unit: Unit = .ratio,
                             atMost: Bool = false) -> String {
        func format(_ value: Double) -> String {
            switch unit {
            case .ratio: Self.ratio(value)
            case .rate: Self.rate(value)
            case .milliseconds: String(format: "%.2f ms", value)
            }
        }
        var line = pad(name, 40) + pad(value.map(format) ?? "-", 14, right: true)
            + pad(target.map { (atMost ? "≤ " : "≥ ") + format($0) } ?? "-", 16, right: true)
        if let value, let target {
            line += (atMost ? value <= target : value >= target) ? "  met" : "  MISSED"
        }
        return line
    }
}
