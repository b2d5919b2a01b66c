/// The value every benchmark stores (fixed by Benchmarks/README.md).
struct BenchValue: Codable, Equatable, Sendable {
    var name: String
    var n: Int
}

/// The keys and values of one benchmark run, computed once and shared by every subject.
struct BenchData: Sendable {
    static let kind = "bench"
    static let preloadCount = 100_000
    static let insertLimit = 1_000_000

    /// `key-0` … `key-99999`: preloaded into every subject.
    let keys: [String]
    /// Keys that are never stored.
    let missingKeys: [String]
    /// Keys for `set_insert`, never preloaded.
    let newKeys: [String]

    init() {
        keys = (0..<Self.preloadCount).map { "key-\($0)" }
        missingKeys = (0..<Self.preloadCount).map { "miss-\($0)" }
        newKeys = (0..<Self.insertLimit).map { "new-\($0)" }
    }
}

/// A per-thread xorshift64* generator: cheap, deterministic per seed.
struct XorShift {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// A uniform index in `0..<count` (multiply-high, no division).
    @inline(__always)
    mutating func index(below count: Int) -> Int {
        Int(truncatingIfNeeded: ((next() >> 32) &* UInt64(count)) >> 32)
    }
}

/// The loop of the dictionary subjects' `snapshot_iterate_100k`: iterates `dictionary`, reading
/// every value (so the loop cannot be elided), and returns the number of entries.
func iterateReadingValues(_ dictionary: [String: BenchValue]) -> Int {
    var entries = 0, sum = 0
    for (_, value) in dictionary {
        entries &+= 1
        sum &+= value.n
    }
    return sum == -1 ? 0 : entries
}
