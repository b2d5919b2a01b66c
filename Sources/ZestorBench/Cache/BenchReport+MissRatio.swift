/// The miss-ratio section of the table (`cache_trace`): one row per trace and capacity, one
/// column per policy.
extension BenchReport {
    var missRatioTable: String? {
        let ratios = measurements.filter(\.isRatio)
        guard !ratios.isEmpty else { return nil }
        let policies = CacheTraceReplay.policies.map { $0?.rawValue ?? "default" }
        var cells: [String: [String: Double]] = [:]
        var order: [String] = []
        for measurement in ratios {
            let parts = measurement.workload.split(separator: ":").map(String.init)
            guard parts.count == 4 else { continue }
            let row = "\(parts[1]) @ \(parts[2])"
            if cells[row] == nil { order.append(row) }
            cells[row, default: [:]][parts[3]] = measurement.opsPerSecond
        }
        var lines = [pad("miss ratio", 24) + policies.map { pad($0, 10, right: true) }.joined()]
        for row in order {
            lines.append(pad(row, 24) + policies.map { policy in
                pad(cells[row]?[policy].map { String(format: "%.4f", $0) } ?? "-", 10, right: true)
            }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
