/// Serializes the durable writes of each key: at most one write per (kind, key) is between
/// "read the current version" and "applied to memory" at a time, so the order of versions on
/// disk, in memory and in events is the same. Writes of different keys proceed in parallel
/// (and share commits). Waiters are served first come, first served.
final class KeyGate: Sendable {
    struct Key: Hashable, Sendable, Comparable {
        let kind: String
        let key: String

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.kind, lhs.key) < (rhs.kind, rhs.key)
        }
    }

    /// Held keys and their waiters, under one mutex.
    private let held = Locked<[Key: [CheckedContinuation<Void, Never>]]>([:])

    /// Waits until the caller holds `key`. Pair with ``release(_:)-(Key)``.
    func acquire(_ key: Key) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = held.withLock { held -> Bool in
                if held[key] == nil {
                    held[key] = []
                    return true
                }
                held[key]!.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    /// Acquires several keys without deadlock (in sorted order). Pair with ``release(_:)-([Key])``.
    func acquire(_ keys: [Key]) async {
        for key in keys.sorted() { await acquire(key) }
    }

    /// Hands `key` to its next waiter, or frees it.
    func release(_ key: Key) {
        let next = held.withLock { held -> CheckedContinuation<Void, Never>? in
            guard var waiters = held[key] else { return nil }
            if waiters.isEmpty {
                held[key] = nil
                return nil
            }
            let next = waiters.removeFirst()
            held[key] = waiters
            return next
        }
        next?.resume()
    }

    func release(_ keys: [Key]) {
        for key in keys { release(key) }
    }
}
