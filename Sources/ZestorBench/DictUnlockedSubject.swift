/// `dict_unlocked`: a plain `Dictionary` with no lock — the practical limit, one thread only.
final class DictUnlockedSubject: BenchSubject, @unchecked Sendable {
    // @unchecked: the runner drives this subject from exactly one thread at a time
    // (`isThreadSafe` is false), and hands it between threads only through thread start/join.
    private var dictionary: [String: BenchValue] = [:]
    var name: String { "dict_unlocked" }
    var isThreadSafe: Bool { false }

    init(preloading keys: [String]) {
        dictionary.reserveCapacity(keys.count)
        for (index, key) in keys.enumerated() { dictionary[key] = BenchValue(name: "v", n: index) }
    }

    @inline(__always)
    func get(_ key: String) -> BenchValue? { dictionary[key] }

    @inline(__always)
    func set(_ key: String, _ value: BenchValue) { dictionary[key] = value }

    func list() -> Int { dictionary.count }
    func count() -> Int { dictionary.count }

    func snapshotIterate() -> Int { iterateReadingValues(dictionary) }
}
