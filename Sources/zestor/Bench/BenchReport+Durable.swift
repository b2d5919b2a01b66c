import Foundation

/// The durable section of the table: ops/s per subject and writer count, and the ratios against
/// the targets of the durable layer.
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
            let raw = opsPerSecond("\(database)_raw", setUpdate, 1)
            let through1 = opsPerSecond("\(database)_through", setUpdate, 1)
            let through64 = opsPerSecond("\(database)_through", setUpdate, 64)
            let behind1 = opsPerSecond("\(database)_behind", setUpdate, 1)
            let behind64 = opsPerSecond("\(database)_behind", setUpdate, 64)
            let open = opsPerSecond("\(database)_through", DurableWorkload.open1M.reportedName, 1)
            lines.append(pad("ratio", 40) + pad("value", 14, right: true) + pad("target", 16, right: true))
            lines.append(durableLine("\(database)_behind×1 / \(database)_raw", ratio(behind1, raw), target: 0.5))
            lines.append(durableLine("\(database)_through×64 / \(database)_through×1", ratio(through64, through1), target: 20))
            lines.append(durableLine("\(database)_behind×64 / \(database)_raw", ratio(behind64, raw), target: nil))
            lines.append(durableLine("open_1m (\(database)_through), rows/s", open, target: 500_000, isRate: true))
        }
        lines.append("write-behind numbers include the final flush(); \(DurableWorkload.openRows) rows, JSON codec for open_1m")
        return lines.joined(separator: "\n")
    }

    private func ratio(_ numerator: Double?, _ denominator: Double?) -> Double? {
        guard let numerator, let denominator, denominator > 0 else { return nil }
        return numerator / denominator
    }

    /// `name  value  ≥ target  met|MISSED`.
    private func durableLine(_ name: String, _ value: Double?, target: Double?, isRate: Bool = false) -> String {
        func format(_ value: Double) -> String { isRate ? Self.rate(value) : Self.ratio(value) }
        var line = pad(name, 40) + pad(value.map(format) ?? "-", 14, right: true)
            + pad(target.map { "≥ " + format($0) } ?? "-", 16, right: true)
        if let value, let target { line += value >= target ? "  met" : "  MISSED" }
        return line
    }
}
