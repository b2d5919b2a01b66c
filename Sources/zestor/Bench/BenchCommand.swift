import ArgumentParser
import Foundation

/// `zestor bench`: the fixed workloads of BENCHMARKS.md on MemoryStore and its baselines.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure MemoryStore against Dictionary baselines in one process run.",
        discussion: """
        Every workload runs MemoryStore (memory), a Dictionary behind one Mutex (dict_mutex) and, \
        at one thread, a plain Dictionary (dict_unlocked), interleaved in rounds so that machine \
        drift affects them alike. Build in release mode: swift run -c release zestor bench
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, plain
    }

    @Option(help: "Seconds per workload and subject.")
    var duration: Double = 2

    @Option(help: "Thread counts to run (comma-separated; default: each workload's own, 1 and 2).")
    var threads: String?

    @Option(help: "Workloads to run (comma-separated). Known: \(Workload.allCases.map(\.rawValue).joined(separator: ", ")).")
    var workload: String?

    @Option(help: "Output format: table (with ratios) or plain (`<subject> <workload> <threads> <ops_per_sec>`).")
    var format: Format = .table

    @Option(help: "Also write the results as JSON to this file.")
    var json: String?

    @Option(help: "Also draw the ratios as an SVG bar chart into this file.")
    var svg: String?

    @Option(help: "Render the report of a JSON file written by --json instead of measuring.")
    var input: String?

    @Option(help: "Interleaving rounds per measurement.")
    var rounds: Int = 4

    @Option(help: "MemoryStore shard count (default: the store's default).")
    var shards: Int?

    @Option(help: "Subjects to run (comma-separated: memory, dict_mutex, dict_unlocked; default: all), e.g. to profile one.")
    var subjects: String?

    func validate() throws {
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        _ = try selectedWorkloads()
        _ = try selectedThreads()
        let known: Set<String> = ["memory", "dict_mutex", "dict_unlocked"]
        for name in subjects?.split(separator: ",") ?? [] where !known.contains(name.trimmingCharacters(in: .whitespaces)) {
            throw ValidationError("unknown subject '\(name)'; known: memory, dict_mutex, dict_unlocked")
        }
    }

    func run() async throws {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: this is a debug build; measure with `swift run -c release zestor bench`\n".utf8))
        #endif
        if let input {
            let data = try Data(contentsOf: URL(fileURLWithPath: input))
            try output(BenchReport(measurements: try BenchReport.decode(data)))
            return
        }
        let workloads = try selectedWorkloads()
        let threadFilter = try selectedThreads()
        let cells = workloads.flatMap { workload in
            workload.threadCounts.filter { threadFilter?.contains($0) ?? true }.map { (workload, $0) }
        }
        let progress = ProgressLine()
        progress.show("preparing 1.2M keys")
        let subjectFilter = subjects.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        let runner = BenchRunner(data: BenchData(), duration: duration, slices: rounds, shardCount: shards,
                                 subjectFilter: subjectFilter) { message in
            progress.show(message)
        }
        var measurements: [Measurement] = []
        for (index, (workload, threads)) in cells.enumerated() {
            progress.prefix = "[\(index + 1)/\(cells.count)] "
            measurements += await runner.run(workload, threads: threads)
        }
        progress.clear()
        try output(BenchReport(measurements: measurements))
    }

    /// Prints the report in the chosen format and writes the requested files.
    private func output(_ report: BenchReport) throws {
        switch format {
        case .table: print(report.table)
        case .plain: print(report.plain)
        }
        if let json {
            try report.json(duration: duration).write(to: URL(fileURLWithPath: json))
        }
        if let svg {
            try report.svg.write(to: URL(fileURLWithPath: svg), atomically: true, encoding: .utf8)
        }
    }

    private func selectedWorkloads() throws -> [Workload] {
        guard let workload else { return Workload.allCases }
        return try workload.split(separator: ",").map { name in
            guard let workload = Workload(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("unknown workload '\(name)'; known: \(Workload.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return workload
        }
    }

    private func selectedThreads() throws -> Set<Int>? {
        guard let threads else { return nil }
        return Set(try threads.split(separator: ",").map { text in
            guard let count = Int(text.trimmingCharacters(in: .whitespaces)), count >= 1 else {
                throw ValidationError("--threads takes positive integers, got '\(text)'")
            }
            return count
        })
    }
}

/// A single progress line on standard error, rewritten in place.
final class ProgressLine: @unchecked Sendable {
    // @unchecked: `prefix` and `lastWidth` are only touched under `lock`.
    private let lock = NSLock()
    private var lastWidth = 0
    var prefix: String {
        get { lock.withLock { storedPrefix } }
        set { lock.withLock { storedPrefix = newValue } }
    }
    private var storedPrefix = ""

    func show(_ message: String) {
        lock.withLock {
            let line = storedPrefix + message
            let padding = String(repeating: " ", count: max(0, lastWidth - line.count))
            lastWidth = line.count
            FileHandle.standardError.write(Data(("\r" + line + padding).utf8))
        }
    }

    func clear() {
        lock.withLock {
            FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: lastWidth) + "\r").utf8))
            lastWidth = 0
        }
    }
}
