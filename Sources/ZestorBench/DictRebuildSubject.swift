/// The reference for `list_100k`: a plain `Dictionary` whose "list" builds a new dictionary of
/// its entries, reported as `dict_unlocked list_100k_rebuild 1 <lists/s>`.
///
/// A `Dictionary` behind a lock lists by an O(1) copy-on-write copy, which no sharded store can
/// match: its entries live in several tables and must be gathered into one new dictionary, one
/// hash and insertion per entry. This loop does only that gathering, out of a single plain
/// dictionary, so it is the floor of any `list` that returns a fresh `[String: Value]`.
final class DictRebuildSubject: BenchSubject, @unchecked Sendable {
    // @unchecked: as `DictUnlockedSubject`, driven by one thread at a time (`isThreadSafe` is false).
    private var dictionary: [String: BenchValue] = [:]
    var name: String { "dict_unlocked" }
    var workloadSuffix: String { "_rebuild" }
    var isThreadSafe: Bool { false }

    init(preloading keys: [String]) {
        dictionary.reserveCapacity(keys.count)
        for (index, key) in keys.enumerated() { dictionary[key] = BenchValue(name: "v", n: index) }
    }

    func get(_ key: String) -> BenchValue? { dictionary[key] }
    func set(_ key: String, _ value: BenchValue) { dictionary[key] = value }

    /// Copies every entry into a new dictionary sized for them, as `MemoryStore.list` does.
    func list() -> Int {
        var copy: [String: BenchValue] = [:]
        copy.reserveCapacity(dictionary.count)
        for (key, value) in dictionary { copy[key] = value }
        return copy.count
    }

    func count() -> Int { dictionary.count }

    func snapshotIterate() -> Int { iterateReadingValues(dictionary) }
}
