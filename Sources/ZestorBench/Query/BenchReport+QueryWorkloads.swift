/// The query workloads' section of the table, with the ratios their targets are stated in.
extension BenchReport {
    var queryWorkloadTable: String? {
        var lines: [String] = []
        for workload in QueryWorkload.allCases {
            for threads in workload.threadCounts {
                guard let rate = opsPerSecond("memory", workload.rawValue, threads) else { continue }
                var note = ""
                switch workload {
                case .indexLookup:
                    if let scan = opsPerSecond("memory", QueryWorkload.listScanLookup.rawValue, 1) {
                        note = "\(Self.ratio(rate / scan)) of list_scan_lookup"
                    }
                case .setUpdate2Indexes:
                    if let reference = opsPerSecond("memory", QueryWorkload.setUpdateReference, threads) {
                        note = "\(Self.ratio(rate / reference)) of set_update without indexes"
                    }
                    if threads > 1, let single = opsPerSecond("memory", workload.rawValue, 1) {
                        note += "; \(Self.ratio(rate / single)) of itself at 1 thread"
                    }
                default: break
                }
                lines.append(pad(workload.rawValue, 24) + pad("\(threads)", 4, right: true)
                    + pad(Self.rate(rate), 14, right: true) + "  " + note)
            }
        }
        guard !lines.isEmpty else { return nil }
        return ([pad("query workload", 24) + pad("thr", 4, right: true) + pad("memory", 14, right: true)] + lines)
            .joined(separator: "\n")
    }
}
