import Zestor

/// The cache throughput workloads (Benchmarks/README.md): each runs on a `MemoryStore` kind
/// configured as a cache and, interleaved in the same run, its reference workload on a plain
/// kind, reported as `<workload>_reference_<reference>`.
enum CacheWorkload: String, CaseIterable, Sendable {
    /// get_hit on a full kind bounded to 100,000 (every key present).
    case getHitBounded = "get_hit_bounded"
    /// get_hit on a kind whose entries all have a time to live (an hour: none expires).
    case getHitTTL = "get_hit_ttl"
    /// set of a never-used key into a full bounded kind (each evicts one).
    case setInsertEvicting = "set_insert_evicting"
    /// `get(orLoad:)` of a present key, from tasks (its reference: `get` from tasks).
    case getOrLoadHit = "get_or_load_hit"

    var threadCounts: [Int] {
        switch self {
        case .setInsertEvicting: [1]
        default: [1, 2]
        }
    }

    /// The plain workload it is compared with.
    var reference: Workload {
        switch self {
        case .setInsertEvicting: .setInsert
        default: .getHit
        }
    }

    /// The name of its reference measurement.
    var referenceName: String { "\(rawValue)_reference_\(reference.rawValue)" }

    /// The cache options of the measured kind.
    func cacheOptions(capacity: Int) throws -> CacheOptions {
        switch self {
        case .getHitBounded, .setInsertEvicting: try CacheOptions(capacity: capacity)
        case .getHitTTL: try CacheOptions(timeToLive: .seconds(3600))
        case .getOrLoadHit: try CacheOptions()
        }
    }
}
