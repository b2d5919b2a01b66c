import Zestor

/// The query workloads (Benchmarks/README.md), on go-store's data: 100,000 values
/// `{name: "user-N", age: N % 100, city: cities[(N / 100) % 50]}` in one kind, with an index on
/// `age` and a composite index on `(city, age)`.
enum QueryWorkload: String, CaseIterable, Sendable {
    /// `lookup(age == k)`: ~1,000 matches.
    case indexLookup = "index_lookup"
    /// The same question answered by `list(kind, where: age == k)`: `index_lookup`'s baseline.
    case listScanLookup = "list_scan_lookup"
    /// `range(age, k...k+9)`: ~10,000 matches.
    case indexRange = "index_range"
    /// `lookup((city, age) == (c, a))`: 20 matches.
    case indexComposite = "index_composite"
    /// `range((city, age), prefix: c)`: 2,000 matches.
    case indexPrefix = "index_prefix"
    /// set_update changing the indexed field (age, so both indexes) of random keys; its reference
    /// (`set_update_2_indexes_reference_set_update`) is the same loop on the same data without indexes.
    case setUpdate2Indexes = "set_update_2_indexes"
    /// `createIndex` (and `dropIndex`) of the age index over the 100,000 entries.
    case createIndex100k = "create_index_100k"

    var threadCounts: [Int] {
        switch self {
        case .setUpdate2Indexes: [1, 2]
        default: [1]
        }
    }

    /// The name of the reference measurement of `set_update_2_indexes`.
    static var setUpdateReference: String { "set_update_2_indexes_reference_set_update" }
}

/// One entry of the query workloads' data.
struct QueryValue: Sendable, Equatable {
    var name: String
    var age: Int
    var city: String

    static let cities = (0..<50).map { "city-\($0)" }
    static let count = 100_000

    /// go-store's value number `n`.
    init(_ n: Int) {
        name = "user-\(n)"
        age = n % 100
        city = Self.cities[(n / 100) % 50]
    }
}
