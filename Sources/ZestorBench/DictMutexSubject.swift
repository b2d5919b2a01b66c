import Synchronization

/// `dict_mutex`: a `Dictionary` inside one `Mutex` — what a user writes by hand.
final class DictMutexSubject: BenchSubject {
    private let storage: Mutex<[String: BenchValue]>
    var name: String { "dict_mutex" }
    var isThreadSafe: Bool { true }

    init(preloading keys: [String]) {
        var dictionary: [String: BenchValue] = [:]
        dictionary.reserveCapacity(keys.count)
        for (index, key) in keys.enumerated() { dictionary[key] = BenchValue(name: "v", n: index) }
        storage = Mutex(dictionary)
    }

    @inline(__always)
    func get(_ key: String) -> BenchValue? { storage.withLock { $0[key] } }

    @inline(__always)
    func set(_ key: String, _ value: BenchValue) { storage.withLock { $0[key] = value } }

    func list() -> Int { storage.withLock { $0 }.count }
    func count() -> Int { storage.withLock { $0.count } }

    /// A copy-on-write copy taken under the lock, iterated outside it.
    func snapshotIterate() -> Int { iterateReadingValues(storage.withLock { $0 }) }
}
