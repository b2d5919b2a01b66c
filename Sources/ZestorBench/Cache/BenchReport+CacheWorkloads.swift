/// The cache workloads' section of the table: each against its reference, measured in the same run.
extension BenchReport {
    var cacheWorkloadTable: String? {
        var lines: [String] = []
        for workload in CacheWorkload.allCases {
            for threads in workload.threadCounts {
                guard let measured = opsPerSecond("memory", workload.rawValue, threads),
                      let reference = opsPerSecond("memory", workload.referenceName, threads) else { continue }
                lines.append(pad(workload.rawValue, 20) + pad("\(threads)", 4, right: true)
                    + pad(Self.rate(measured), 14, right: true) + pad(Self.rate(reference), 14, right: true)
                    + "  " + pad(workload.reference.rawValue, 12) + pad(Self.ratio(measured / reference), 8, right: true))
            }
        }
        guard !lines.isEmpty else { return nil }
        let header = pad("cache workload", 20) + pad("thr", 4, right: true) + pad("memory", 14, right: true)
            + pad("reference", 14, right: true) + "  " + pad("of", 12) + pad("ratio", 8, right: true)
        return ([header] + lines).joined(separator: "\n")
    }
}
