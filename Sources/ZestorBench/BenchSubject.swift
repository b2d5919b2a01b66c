/// A key-value map measured by `zestor bench`. Workload loops are generic over the subject, so
/// each subject's calls are specialized and inlined (no existential dispatch per operation).
protocol BenchSubject: AnyObject, Sendable {
    /// The subject name printed in results (fixed by Benchmarks/README.md).
    var name: String { get }
    /// Whether the subject may be driven by more than one thread.
    var isThreadSafe: Bool { get }
    func get(_ key: String) -> BenchValue?
    func set(_ key: String, _ value: BenchValue)
    /// Lists the whole kind; returns the number of entries.
    func list() -> Int
    func count() -> Int
    /// Takes a point-in-time view of the whole kind and iterates it; returns the number of
    /// entries (the values are read, so the loop cannot be elided).
    func snapshotIterate() -> Int
    var workloadSuffix: String { get }
}

extension BenchSubject {
    /// Appended to the workload name in results: a reference measurement of another kind of
    /// operation reports under its own workload name (see `DictRebuildSubject`).
    var workloadSuffix: String { "" }
}
