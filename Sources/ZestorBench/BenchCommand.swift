public import ArgumentParser
import Foundation

/// `zestor bench`: the fixed workloads of Benchmarks/README.md on MemoryStore and its baselines, and on
/// request the durable workloads on DurableStore over SQLite and (with `--postgres`) PostgreSQL.
public struct BenchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure MemoryStore against Dictionary baselines (and DurableStore over SQLite and PostgreSQL) in one process run.",
        discussion: """
        Every memory workload runs MemoryStore (memory), a Dictionary behind one Mutex (dict_mutex) and, \
        at one thread, a plain Dictionary (dict_unlocked), interleaved in rounds so that machine \
        drift affects them alike. Build in release mode: swift run -c release zestor bench

        Durable workloads (not run by default; --durable, or name them in --workload) use SQLite \
        files in a temporary directory, removed afterwards:
          durable_set_update  set_update by 1, 2 and 64 concurrent writer Tasks on DurableStore \
        write-through (sqlite_through) and write-behind (sqlite_behind, default policy, the final \
        flush() included in the time), over 100,000 preloaded keys; baseline sqlite_raw: one \
        prepared INSERT … ON CONFLICT executing the same rows in one transaction (1 writer). \
        Reported with workload set_update and threads = writers.
          open_1m             DurableStore.open (+ close) of a file holding 1,000,000 rows, \
        reported as rows/s (sqlite_through open_1m 1 <rows/s>).
          remote_event_latency  PostgreSQL only: store A makes 2,000 write-through sets, one per \
        millisecond; a second store B on the same URL and namespace watches the kind and receives \
        them through its change feed. Reported in milliseconds as postgres_latency \
        remote_event_p50_ms 1 <ms> and postgres_latency remote_event_p99_ms 1 <ms>.
        With --postgres URL (or $ZESTOR_POSTGRES_URL) the durable workloads also run on \
        PostgreSQL: postgres_through, postgres_behind and the baseline postgres_raw (batches of \
        5,000 distinct keys committed by PostgresBackend alone, one transaction each) for \
        durable_set_update, postgres_through for open_1m, postgres_latency. Every store uses a \
        fresh random namespace whose rows and outbox entries are deleted afterwards. Without a \
        URL the PostgreSQL workloads are skipped (with a note on stderr).
        --threads also filters the writer counts; --rounds does not apply to durable workloads.

        Cache workloads: get_hit_bounded, get_hit_ttl, set_insert_evicting and get_or_load_hit run \
        on a kind configured as a cache, each interleaved with its reference on a plain kind \
        (reported as <workload>_reference_<reference>). Not run by default:
          cache_trace  replays each --trace file (one key id per line; Benchmarks/Traces/generate.py \
        writes synthetic ones) through a kind bounded to each --capacity with get(orLoad:), once per \
        eviction policy and once naming none (default), and reports the miss ratio as \
        memory miss_ratio:<trace>:<capacity>:<policy> 1 <ratio>.

        Query workloads (Benchmarks/README.md) on go-store's data, 100,000 values with an index on age \
        and one on (city, age): index_lookup (its baseline list_scan_lookup), index_range, \
        index_composite, index_prefix, set_update_2_indexes (with its reference on the same data \
        without indexes, set_update_2_indexes_reference_set_update) and create_index_100k. \
        snapshot_iterate_100k is a memory workload (baseline: list_100k).
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, plain
    }

    @Option(help: "Seconds per workload and subject.")
    var duration: Double = 2

    @Option(help: "Thread counts to run (comma-separated; default: each workload's own, 1 and 2).")
    var threads: String?

    @Option(help: "Workloads to run (comma-separated). Memory: \(Workload.allCases.map(\.rawValue).joined(separator: ", ")); cache: \(CacheWorkload.allCases.map(\.rawValue).joined(separator: ", ")), cache_trace; query: \(QueryWorkload.allCases.map(\.rawValue).joined(separator: ", ")); durable: \(DurableWorkload.allCases.map(\.rawValue).joined(separator: ", ")).")
    var workload: String?

    @Flag(help: "Also run the durable workloads (SQLite files in a temporary directory, and PostgreSQL with --postgres; slow). With --workload, only the named workloads run.")
    var durable = false

    @Option(help: ArgumentHelp(
        "PostgreSQL URL for the durable workloads' postgres subjects (default: $ZESTOR_POSTGRES_URL; without either they are skipped).",
        valueName: "url"))
    var postgres: String?

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

    @Option(help: ArgumentHelp("Trace files for cache_trace (comma-separated).", valueName: "files"))
    var trace: String?

    @Option(help: ArgumentHelp("Capacities for cache_trace (comma-separated).", valueName: "n"))
    var capacity: String?

    @Option(help: "MemoryStore shard count (default: the store's default).")
    var shards: Int?

    @Option(help: "Subjects to run (comma-separated: \(Self.knownSubjects.joined(separator: ", ")); default: all), e.g. to profile one.")
    var subjects: String?

    public init() {}

    public func validate() throws {
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        let selected = try selectedWorkloads()
        _ = try selectedThreads()
        if selected.cacheTrace {
            guard let trace, !trace.isEmpty else { throw ValidationError("cache_trace needs --trace FILE[,FILE…]") }
            guard !(try selectedCapacities()).isEmpty else { throw ValidationError("cache_trace needs --capacity N[,N…]") }
        }
        for name in subjects?.split(separator: ",") ?? [] where !Self.knownSubjects.contains(name.trimmingCharacters(in: .whitespaces)) {
            throw ValidationError("unknown subject '\(name)'; known: \(Self.knownSubjects.joined(separator: ", "))")
        }
    }

    static let memorySubjects = ["memory", "dict_mutex", "dict_unlocked"]
    static let postgresSubjects = ["postgres_through", "postgres_behind", "postgres_raw", "postgres_latency"]
    static let knownSubjects = memorySubjects + ["sqlite_through", "sqlite_behind", "sqlite_raw"] + postgresSubjects

    /// `--postgres`, else a non-empty `ZESTOR_POSTGRES_URL`.
    private var postgresURL: String? {
        if let postgres { return postgres }
        guard let url = ProcessInfo.processInfo.environment["ZESTOR_POSTGRES_URL"], !url.isEmpty else { return nil }
        return url
    }

    public func run() async throws {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: this is a debug build; measure with `swift run -c release zestor bench`\n".utf8))
        #endif
        if let input {
            let data = try Data(contentsOf: URL(fileURLWithPath: input))
            try output(BenchReport(measurements: try BenchReport.decode(data)))
            return
        }
        let (workloads, cacheWorkloads, queryWorkloads, durableWorkloads, cacheTrace) = try selectedWorkloads()
        let threadFilter = try selectedThreads()
        let subjectFilter = subjects.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        let runsMemory = subjectFilter.map { !$0.isDisjoint(with: Self.memorySubjects) } ?? true
        let cells = runsMemory ? workloads.flatMap { workload in
            workload.threadCounts.filter { threadFilter?.contains($0) ?? true }.map { (workload, $0) }
        } : []
        var providers: [any DurableBackendProvider] = []
        if !durableWorkloads.isEmpty {
            providers.append(try SQLiteProvider())
            if let postgresURL {
                providers.append(PostgresProvider(url: postgresURL))
            } else if subjectFilter.map({ !$0.isDisjoint(with: Self.postgresSubjects) }) ?? true {
                FileHandle.standardError.write(Data("note: PostgreSQL durable workloads skipped: no --postgres URL (or ZESTOR_POSTGRES_URL)\n".utf8))
            }
        }
        let cacheCells = runsMemory ? cacheWorkloads.flatMap { workload in
            workload.threadCounts.filter { threadFilter?.contains($0) ?? true }.map { (workload, $0) }
        } : []
        let queryCells = runsMemory ? queryWorkloads.flatMap { workload in
            workload.threadCounts.filter { threadFilter?.contains($0) ?? true }.map { (workload, $0) }
        } : []
        let total = cells.count + cacheCells.count + queryCells.count + durableWorkloads.count * providers.count
        let progress = ProgressLine()
        var measurements: [Measurement] = []
        if cacheTrace {
            let replay = CacheTraceReplay(traces: (trace ?? "").split(separator: ",").map(String.init),
                                          capacities: try selectedCapacities(), shardCount: shards) { message in
                progress.show(message)
            }
            measurements += try await replay.run()
        }
        progress.show("preparing 1.2M keys")
        let data = BenchData()
        let runner = BenchRunner(data: data, duration: duration, slices: rounds, shardCount: shards,
                                 subjectFilter: subjectFilter) { message in
            progress.show(message)
        }
        for (index, (workload, threads)) in cells.enumerated() {
            progress.prefix = "[\(index + 1)/\(total)] "
            measurements += await runner.run(workload, threads: threads)
        }
        let cacheRunner = CacheWorkloadRunner(data: data, duration: duration, slices: rounds, shardCount: shards) { message in
            progress.show(message)
        }
        for (index, (workload, threads)) in cacheCells.enumerated() {
            progress.prefix = "[\(cells.count + index + 1)/\(total)] "
            measurements += try await cacheRunner.run(workload, threads: threads)
        }
        let queryRunner = QueryWorkloadRunner(duration: duration, slices: rounds, shardCount: shards) { message in
            progress.show(message)
        }
        for (index, (workload, threads)) in queryCells.enumerated() {
            progress.prefix = "[\(cells.count + cacheCells.count + index + 1)/\(total)] "
            measurements += try await queryRunner.run(workload, threads: threads)
        }
        if !providers.isEmpty {
            let durableRunner = DurableRunner(
                keys: data.keys, duration: duration,
                writerCounts: DurableWorkload.writerCounts.filter { threadFilter?.contains($0) ?? true },
                subjectFilter: subjectFilter
            ) { message in
                progress.show(message)
            }
            var step = cells.count + cacheCells.count + queryCells.count
            do {
                for provider in providers {
                    for workload in durableWorkloads {
                        step += 1
                        progress.prefix = "[\(step)/\(total)] "
                        measurements += try await durableRunner.run(workload, on: provider)
                    }
                }
            } catch {
                progress.clear()
                for provider in providers { await provider.cleanUp() }
                throw error
            }
            for provider in providers {
                progress.show("cleaning up \(provider.name)")
                await provider.cleanUp()
            }
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

    /// The memory and durable workloads to run: `--workload`'s, or every memory workload (and
    /// with `--durable` every durable one).
    private func selectedWorkloads() throws
        -> (memory: [Workload], cache: [CacheWorkload], query: [QueryWorkload], durable: [DurableWorkload], cacheTrace: Bool) {
        guard let workload else {
            return (Workload.allCases, CacheWorkload.allCases, QueryWorkload.allCases,
                    durable ? DurableWorkload.allCases : [], false)
        }
        var memory: [Workload] = [], cache: [CacheWorkload] = [], query: [QueryWorkload] = []
        var durable: [DurableWorkload] = [], cacheTrace = false
        for name in workload.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if let workload = Workload(rawValue: name) {
                memory.append(workload)
            } else if let workload = CacheWorkload(rawValue: name) {
                cache.append(workload)
            } else if let workload = QueryWorkload(rawValue: name) {
                query.append(workload)
            } else if let workload = DurableWorkload(rawValue: name) {
                durable.append(workload)
            } else if name == Self.cacheTraceWorkload {
                cacheTrace = true
            } else {
                let known = Workload.allCases.map(\.rawValue) + CacheWorkload.allCases.map(\.rawValue)
                    + QueryWorkload.allCases.map(\.rawValue) + DurableWorkload.allCases.map(\.rawValue) + [Self.cacheTraceWorkload]
                throw ValidationError("unknown workload '\(name)'; known: \(known.joined(separator: ", "))")
            }
        }
        return (memory, cache, query, durable, cacheTrace)
    }

    /// The name of the trace-replay workload.
    static let cacheTraceWorkload = "cache_trace"

    private func selectedCapacities() throws -> [Int] {
        guard let capacity else { return [] }
        return try capacity.split(separator: ",").map { text in
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 1 else {
                throw ValidationError("--capacity takes positive integers, got '\(text)'")
            }
            return value
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
