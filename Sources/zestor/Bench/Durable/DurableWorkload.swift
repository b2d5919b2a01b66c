/// The durable workloads of BENCHMARKS.md, selected by these names in `--workload` (or all by
/// `--durable`). They write database files and are not run by default.
enum DurableWorkload: String, CaseIterable, Sendable {
    /// `set_update` on DurableStore (write-through and write-behind) and the raw baseline.
    case setUpdate = "durable_set_update"
    /// Opening a store holding 1,000,000 rows, as rows per second.
    case open1M = "open_1m"

    /// The writer counts of `durable_set_update` (the `threads` column).
    static let writerCounts = [1, 2, 64]
    /// The rows of the `open_1m` store.
    static let openRows = 1_000_000

    /// The workload column of the results.
    var reportedName: String {
        switch self {
        case .setUpdate: "set_update"
        case .open1M: "open_1m"
        }
    }
}
