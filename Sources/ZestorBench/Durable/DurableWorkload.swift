/// The durable workloads of Benchmarks/README.md, selected by these names in `--workload` (or all by
/// `--durable`). They write to databases (SQLite files, PostgreSQL with `--postgres`) and are not run by
/// default.
enum DurableWorkload: String, CaseIterable, Sendable {
    /// `set_update` on DurableStore (write-through and write-behind) and the raw baseline.
    case setUpdate = "durable_set_update"
    /// Opening a store holding 1,000,000 rows, as rows per second.
    case open1M = "open_1m"
    /// A write-through set on one store until a watcher of a second store over the same database
    /// receives it (databases with a change feed: PostgreSQL), as p50 and p99 milliseconds.
    case remoteEventLatency = "remote_event_latency"

    /// The writer counts of `durable_set_update` (the `threads` column).
    static let writerCounts = [1, 2, 64]
    /// The rows of the `open_1m` store.
    static let openRows = 1_000_000

    /// The workload column of the results (`remote_event_latency` reports its p99 under this
    /// name and its p50 under ``RemoteEventLatency/p50Workload``).
    var reportedName: String {
        switch self {
        case .setUpdate: "set_update"
        case .open1M: "open_1m"
        case .remoteEventLatency: RemoteEventLatency.p99Workload
        }
    }
}
