/// The fixed memory workloads of Benchmarks/README.md.
enum Workload: String, CaseIterable, Sendable {
    case getHit = "get_hit"
    case getMiss = "get_miss"
    case setUpdate = "set_update"
    case setInsert = "set_insert"
    case mixed = "mixed_90_10"
    case setWithWatcher = "set_with_watcher"
    case fanout = "fanout_4_watchers"
    case list = "list_100k"
    case count = "count"
    /// Take a snapshot of the whole kind and iterate it (its baseline: `list_100k`).
    case snapshotIterate = "snapshot_iterate_100k"

    /// The thread counts the workload runs with (Benchmarks/README.md).
    var threadCounts: [Int] {
        switch self {
        case .setInsert, .setWithWatcher, .fanout: [1]
        default: [1, 2]
        }
    }

    /// The number of watchers consuming while the workload writes.
    var watcherCount: Int {
        switch self {
        case .setWithWatcher: 1
        case .fanout: 4
        default: 0
        }
    }

    /// The name of the delivered-events measurement of a watcher workload.
    var deliveredName: String { rawValue + "_delivered" }
}
