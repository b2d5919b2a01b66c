import Foundation

/// Renders measurements: the human table with ratios, the plain lines, JSON, and an SVG chart.
struct BenchReport {
    let measurements: [Measurement]

    func opsPerSecond(_ subject: String, _ workload: String, _ threads: Int) -> Double? {
        measurements.first { $0.subject == subject && $0.workload == workload && $0.threads == threads }?.opsPerSecond
    }

    /// `<subject> <workload> <threads> <ops_per_sec>`, one line per measurement.
    var plain: String {
        measurements.map(\.plainLine).joined(separator: "\n")
    }

    /// One ratio row of the table and the chart.
    struct Row {
        let workload: String
        let threads: Int
        let memory: Double
        let dictMutex: Double?
        let dictUnlocked: Double?
        /// `memory / dict_mutex`.
        var versusMutex: Double? { dictMutex.map { memory / $0 } }
        /// `memory / dict_unlocked`; at 2 threads against `dict_unlocked` at 1 thread.
        var versusUnlocked: Double? { dictUnlocked.map { memory / $0 } }
    }

    var rows: [Row] {
        var rows: [Row] = []
        for workload in Workload.allCases {
            for threads in workload.threadCounts {
                guard let memory = opsPerSecond("memory", workload.rawValue, threads) else { continue }
                rows.append(Row(workload: workload.rawValue, threads: threads, memory: memory,
                                dictMutex: opsPerSecond("dict_mutex", workload.rawValue, threads),
                                dictUnlocked: opsPerSecond("dict_unlocked", workload.rawValue, 1)))
            }
        }
        return rows
    }

    /// The human table: ops/s per subject and the ratios, then the durable section.
    var table: String {
        let memory = rows.isEmpty ? nil : memoryTable
        return [memory, cacheWorkloadTable, queryWorkloadTable, missRatioTable, durableTable].compactMap { $0 }.joined(separator: "\n\n")
    }

    /// The memory workloads' part of the table.
    private var memoryTable: String {
        var lines = [
            pad("workload", 20) + pad("thr", 4, right: true) + pad("memory", 14, right: true)
                + pad("dict_mutex", 14, right: true) + pad("dict_unlocked", 15, right: true)
                + pad("mem/mutex", 11, right: true) + pad("mem/unlocked", 14, right: true),
        ]
        for row in rows {
            let unlockedNote = row.threads > 1 ? "*" : " "
            lines.append(pad(row.workload, 20) + pad("\(row.threads)", 4, right: true)
                + pad(Self.rate(row.memory), 14, right: true)
                + pad(row.dictMutex.map(Self.rate) ?? "-", 14, right: true)
                + pad(row.threads == 1 ? row.dictUnlocked.map(Self.rate) ?? "-" : "-", 15, right: true)
                + pad(row.versusMutex.map(Self.ratio) ?? "-", 11, right: true)
                + pad((row.versusUnlocked.map(Self.ratio) ?? "-") + unlockedNote, 14, right: true))
        }
        lines.append("* at 2 threads, memory is compared with dict_unlocked at 1 thread")
        for workload in [Workload.setWithWatcher, .fanout] {
            guard let writer = opsPerSecond("memory", workload.rawValue, 1),
                  let delivered = opsPerSecond("memory", workload.deliveredName, 1),
                  let reference = opsPerSecond("memory", workload.rawValue + "_reference_set_update", 1)
            else { continue }
            let overflowed = measurements.contains { $0.workload == workload.rawValue && $0.watcherOverflowed == true }
            lines.append("\(workload.rawValue): writer \(Self.rate(writer))/s = \(Self.ratio(writer / reference)) of set_update "
                + "without watchers (\(Self.rate(reference))/s); delivered \(Self.rate(delivered))/s = "
                + "\(Self.ratio(delivered / writer)) writer ops" + (overflowed ? "; A WATCHER OVERFLOWED" : "; no overflow"))
        }
        if let memory = opsPerSecond("memory", Workload.list.rawValue, 1),
           let rebuild = opsPerSecond("dict_unlocked", Workload.list.rawValue + "_rebuild", 1) {
            lines.append("\(Workload.list.rawValue): memory \(Self.rate(memory))/s = \(Self.ratio(memory / rebuild)) of copying "
                + "a plain Dictionary's entries into a new one (\(Self.rate(rebuild))/s, the floor of a list that returns a new "
                + "Dictionary; a locked Dictionary lists by a copy-on-write copy)")
        }
        if let snapshot = opsPerSecond("memory", Workload.snapshotIterate.rawValue, 1),
           let list = opsPerSecond("memory", Workload.list.rawValue, 1) {
            lines.append("\(Workload.snapshotIterate.rawValue): memory \(Self.rate(snapshot))/s = \(Self.ratio(snapshot / list)) of "
                + "list_100k (\(Self.rate(list))/s)")
        }
        return lines.joined(separator: "\n")
    }

    /// A bar chart of `memory / dict_mutex` and `memory / dict_unlocked` per workload, with the 1.0 line.
    var svg: String {
        // list_100k and count build or read a whole kind, while a Dictionary "list" is an O(1)
        // copy-on-write copy: their ratios say nothing, so the chart leaves them out.
        let rows = self.rows.filter {
            ($0.versusMutex != nil || $0.versusUnlocked != nil)
                && $0.workload != Workload.list.rawValue && $0.workload != Workload.count.rawValue
        }
        let barWidth = 14.0, groupGap = 18.0, chartHeight = 260.0, left = 50.0, top = 40.0
        let groupWidth = barWidth * 2 + groupGap
        let width = max(720, left + Double(rows.count) * groupWidth + 20)
        let maxRatio = max(2.0, rows.flatMap { [$0.versusMutex ?? 0, $0.versusUnlocked ?? 0] }.max() ?? 1)
        let scale = chartHeight / (maxRatio * 1.1)
        func y(_ ratio: Double) -> Double { top + chartHeight - ratio * scale }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(top + chartHeight + 110))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(left)" y="20" font-size="14" font-weight="bold">MemoryStore throughput relative to Dictionary baselines (higher is better)</text>
        <line x1="\(left)" y1="\(y(1))" x2="\(width - 10)" y2="\(y(1))" stroke="#888" stroke-dasharray="4 3"/>
        <text x="\(left - 6)" y="\(y(1) + 4)" text-anchor="end">1.0×</text>
        <text x="\(left - 6)" y="\(y(maxRatio) + 4)" text-anchor="end">\(String(format: "%.1f×", maxRatio))</text>
        <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(top + chartHeight)" stroke="#333"/>

        """
        for (index, row) in rows.enumerated() {
            let x = left + 8 + Double(index) * groupWidth
            for (offset, ratio, color) in [(0.0, row.versusMutex, "#3b7dd8"), (barWidth, row.versusUnlocked, "#e08a1e")] {
                guard let ratio else { continue }
                svg += """
                <rect x="\(x + offset)" y="\(y(ratio))" width="\(barWidth - 2)" height="\(ratio * scale)" fill="\(color)"><title>\(row.workload) ×\(row.threads): \(Self.ratio(ratio))</title></rect>

                """
            }
            for (offset, ratio) in [(0.0, row.versusMutex), (barWidth, row.versusUnlocked)] {
                guard let ratio else { continue }
                svg += """
                <text x="\(x + offset + barWidth / 2 - 1)" y="\(y(ratio) - 3)" text-anchor="middle" font-size="8">\(String(format: "%.1f", ratio))</text>

                """
            }
            let labelX = x + barWidth
            svg += """
            <text transform="translate(\(labelX),\(top + chartHeight + 8)) rotate(60)">\(row.workload) ×\(row.threads)</text>

            """
        }
        svg += """
        <rect x="\(width - 260)" y="\(top)" width="10" height="10" fill="#3b7dd8"/><text x="\(width - 245)" y="\(top + 9)">memory / dict_mutex</text>
        <rect x="\(width - 260)" y="\(top + 16)" width="10" height="10" fill="#e08a1e"/><text x="\(width - 245)" y="\(top + 25)">memory / dict_unlocked (1 thread)</text>
        </svg>

        """
        return svg
    }

    /// The JSON document of `--json`.
    struct Document: Codable {
        let durationSeconds: Double
        let results: [Measurement]
        enum CodingKeys: String, CodingKey {
            case durationSeconds = "duration_seconds"
            case results
        }
    }

    /// The measurements as JSON.
    func json(duration: Double) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(Document(durationSeconds: duration, results: measurements))
    }

    /// The measurements of a JSON document written by ``json(duration:)``.
    static func decode(_ data: Data) throws -> [Measurement] {
        try JSONDecoder().decode(Document.self, from: data).results
    }

    static func rate(_ value: Double) -> String {
        switch value {
        case 1e6...: String(format: "%.2fM", value / 1e6)
        case 1e3...: String(format: "%.1fk", value / 1e3)
        default: String(format: "%.0f", value)
        }
    }

    static func ratio(_ value: Double) -> String { String(format: "%.2f×", value) }

    func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}
