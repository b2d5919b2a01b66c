/// Straightforward reference implementations of the eviction policies (arrays and dictionaries,
/// no links, no atomics), for the model-based tests: fed the same sequence as a bounded kind,
/// they must choose the same victims.
///
/// Protocol shared by the references: `access` is a hit or an update of a present key, `insert`
/// adds an absent key and returns the key it evicted first (when full), `remove` is a delete.
protocol ReferencePolicy {
    var keys: Set<String> { get }
    mutating func access(_ key: String)
    mutating func insert(_ key: String) -> String?
    mutating func remove(_ key: String)
}

/// LRU: a list, most recent first.
struct ReferenceLRU: ReferencePolicy {
    let capacity: Int
    var order: [String] = []
    var keys: Set<String> { Set(order) }

    mutating func access(_ key: String) {
        order.removeAll { $0 == key }
        order.insert(key, at: 0)
    }

    mutating func insert(_ key: String) -> String? {
        let victim = order.count == capacity ? order.removeLast() : nil
        order.insert(key, at: 0)
        return victim
    }

    mutating func remove(_ key: String) { order.removeAll { $0 == key } }
}

/// SIEVE (NSDI '24, Algorithm 1): a FIFO list (newest first), a visited bit per key, a hand
/// that walks from the oldest toward the newest and wraps around.
struct ReferenceSIEVE: ReferencePolicy {
    let capacity: Int
    var queue: [String] = []
    var visited: Set<String> = []
    /// The key the hand points at; nil: the oldest.
    var hand: String?
    var keys: Set<String> { Set(queue) }

    mutating func access(_ key: String) { visited.insert(key) }

    mutating func insert(_ key: String) -> String? {
        var victim: String?
        if queue.count == capacity {
            var position = hand.flatMap { queue.firstIndex(of: $0) } ?? queue.count - 1
            while visited.contains(queue[position]) {
                visited.remove(queue[position])
                position = position == 0 ? queue.count - 1 : position - 1
            }
            victim = queue[position]
            hand = position == 0 ? nil : queue[position - 1]
            queue.remove(at: position)
            visited.remove(victim!)
        }
        queue.insert(key, at: 0)
        return victim
    }

    mutating func remove(_ key: String) {
        guard let position = queue.firstIndex(of: key) else { return }
        if hand == key { hand = position == 0 ? nil : queue[position - 1] }
        queue.remove(at: position)
        visited.remove(key)
    }
}

/// S3-FIFO (SOSP '23) as the engine defines it: a small FIFO (a tenth of the capacity, at least
/// one) and a main FIFO, newest first; a two-bit frequency per key; a ghost of the keys last
/// evicted from the small queue (as many as the main queue's share); new keys go to the main
/// queue while the cache fills up once the small queue is at its share.
struct ReferenceS3FIFO: ReferencePolicy {
    let capacity: Int
    var small: [String] = []
    var main: [String] = []
    var frequency: [String: Int] = [:]
    /// Every key ever evicted from the small queue, in order, and for each key its last position.
    var ghostLog: [String] = []
    var lastGhostEntry: [String: Int] = [:]
    var keys: Set<String> { Set(small + main) }
    var smallShare: Int { max(1, capacity / 10) }
    var ghostCapacity: Int { capacity - smallShare }

    mutating func access(_ key: String) { frequency[key] = min((frequency[key] ?? 0) + 1, 3) }

    mutating func insert(_ key: String) -> String? {
        let full = small.count + main.count == capacity
        let victim = full ? evict() : nil
        if let entry = lastGhostEntry[key], entry >= ghostLog.count - ghostCapacity {
            lastGhostEntry[key] = nil
            main.insert(key, at: 0)
        } else if !full && small.count >= smallShare {
            // While the cache fills up, once the small queue holds its share (libCacheSim's S3FIFO.c).
            main.insert(key, at: 0)
        } else {
            small.insert(key, at: 0)
        }
        frequency[key] = 0
        return victim
    }

    mutating func evict() -> String {
        while true {
            if small.count >= smallShare || main.isEmpty {
                let key = small.removeLast()
                if frequency[key]! > 0 {
                    frequency[key] = 0
                    main.insert(key, at: 0)
                    continue
                }
                lastGhostEntry[key] = ghostLog.count
                ghostLog.append(key)
                frequency[key] = nil
                return key
            }
            let key = main.removeLast()
            if frequency[key]! > 0 {
                frequency[key]! -= 1
                main.insert(key, at: 0)
                continue
            }
            frequency[key] = nil
            return key
        }
    }

    mutating func remove(_ key: String) {
        small.removeAll { $0 == key }
        main.removeAll { $0 == key }
        frequency[key] = nil
    }
}
