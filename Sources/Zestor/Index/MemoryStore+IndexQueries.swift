/// Index queries. Each takes every shard's lock shared (like `list`), reads each shard's part of
/// the index and the matching entries' values, releases the locks and merges the per-shard runs
/// — so a result is one point in time, consistent with `get`: an entry is in it if and only if
/// its value at that instant matches. Entries expired at that instant are left out.
extension MemoryStore {
    /// The entries whose index key equals `key`, in ascending key order.
    @inlinable
    public func lookup<Key>(_ index: Index<Value, Key>, equals key: Key) throws -> [KeyValue<Value>] {
        try range(index, IndexBounds.equals(key))
    }

    /// The entries whose index key is within `bounds` — any Swift range (`a..<b`, `a...b`,
    /// `..<b`, `...b`, `a...`), ``IndexBounds/all``, or for composite keys a prefix
    /// (`.prefix("Paris")`) — ordered by (index key, key), descending when `reverse`; at most
    /// `limit` of them (the first ones in that order).
    @inlinable
    public func range<Key>(_ index: Index<Value, Key>, _ bounds: some IndexBoundsExpression<Key>,
                           limit: Int? = nil, reverse: Bool = false) throws -> [KeyValue<Value>] {
        if let limit, limit < 0 {
            throw StoreError.outOfRange(parameter: "limit", value: "\(limit)", requirement: "at least 0")
        }
        let bounds = bounds.indexBounds
        let cap = limit ?? .max
        let found = try withIndexParts(of: index) { parts in
            var found = IndexRun<Key, Value>()
            if cap > 0 {
                for part in parts {
                    part.index.matches(within: bounds, in: part.table, now: part.now, limit: cap, reverse: reverse, into: &found)
                    found.endRun()
                }
            }
            return found
        }
        return found.merged(limit: cap, reverse: reverse)
    }

    /// The number of entries whose index key is within `bounds`, without reading their values.
    @inlinable
    public func count<Key>(_ index: Index<Value, Key>, _ bounds: some IndexBoundsExpression<Key>) throws -> Int {
        let bounds = bounds.indexBounds
        return try withIndexParts(of: index) { parts in
            parts.reduce(0) { $0 + $1.index.count(within: bounds, in: $1.table, now: $1.now) }
        }
    }

    /// The number of entries whose index key equals `key`.
    @inlinable
    public func count<Key>(_ index: Index<Value, Key>, equals key: Key) throws -> Int {
        try count(index, IndexBounds.equals(key))
    }

    /// One shard's part of an index, as a query reads it under the shard's lock.
    @usableFromInline
    struct IndexPart<Key: Comparable & Hashable & Sendable> {
        @usableFromInline let index: ShardIndex<Value, Key>
        @usableFromInline let table: KindTable<Value>
        /// The monotonic instant the query takes, when the kind has entries that expire.
        @usableFromInline let now: Int64?

        @inlinable
        init(index: ShardIndex<Value, Key>, table: KindTable<Value>, now: Int64?) {
            self.index = index
            self.table = table
            self.now = now
        }
    }

    /// Runs `body` with every shard's part of `index`, all shard locks held shared. Throws
    /// ``StoreError/indexNotFound(kind:index:)`` when the index was dropped.
    @inlinable
    func withIndexParts<Key, Result>(of index: Index<Value, Key>,
                                     _ body: ([IndexPart<Key>]) throws -> Result) throws -> Result {
        try checkUsable()
        lockAll(exclusive: false)
        defer { unlockAll() }
        var parts: [IndexPart<Key>] = []
        parts.reserveCapacity(shards.count)
        for shard in shards {
            guard let table = shard.index(of: index.kind),
                  let found = shard.tables[table].indexes?.first(where: { $0.definition === index.definition }) else {
                throw StoreError.indexNotFound(kind: index.kind, index: index.name)
            }
            // The same definition object: the handle's index, so its key type is `Key`.
            let part = unsafeDowncast(found.base, to: ShardIndex<Value, Key>.self)
            let kindTable = shard.tables[table]
            let now = kindTable.cache.flatMap { $0.heap.isEmpty ? nil : $0.clock.monotonicNanoseconds }
            parts.append(IndexPart(index: part, table: kindTable, now: now))
        }
        return try body(parts)
    }
}

/// The entries a query found, shard after shard — each shard's run in (index key, key) order
/// (descending for a reverse query) — as parallel flat arrays: the merge compares index keys and
/// keys in place, without copying values or runs.
@usableFromInline
struct IndexRun<Key: Comparable, Value: Sendable> {
    @usableFromInline var keys: [Key] = []
    @usableFromInline var entries: [String] = []
    @usableFromInline var values: [Value] = []
    /// Where each run ends (exclusive), in order.
    @usableFromInline var ends: [Int] = []

    @inlinable
    init() {}

    @inlinable
    var count: Int { entries.count }

    @inlinable
    mutating func append(_ key: Key, _ entry: String, _ value: Value) {
        keys.append(key)
        entries.append(entry)
        values.append(value)
    }

    /// Closes the current run (an empty one is dropped).
    @inlinable
    mutating func endRun() {
        if entries.count > (ends.last ?? 0) { ends.append(entries.count) }
    }

    /// The runs merged into (index key, key) order — descending when `reverse` —, at most `limit`
    /// entries. A limit well below the total takes the first entries from a binary heap of the
    /// runs' heads (O(limit log k) for k runs); otherwise runs are merged pairwise, in about
    /// log2 k rounds over an array of positions (one comparison per entry per round, entries
    /// never moved) — half the comparisons of the heap, in straight loops.
    @inlinable
    func merged(limit: Int, reverse: Bool) -> [KeyValue<Value>] {
        let total = min(limit, count)
        var result: [KeyValue<Value>] = []
        result.reserveCapacity(total)
        if ends.count <= 1 {
            for position in 0..<total { result.append(KeyValue(key: entries[position], value: values[position])) }
            return result
        }
        return keys.withUnsafeBufferPointer { keys in
            entries.withUnsafeBufferPointer { entries in
                @inline(__always) func precedes(_ x: Int, _ y: Int) -> Bool {
                    if keys[x] != keys[y] { return (keys[x] < keys[y]) != reverse }
                    return (entries[x] < entries[y]) != reverse
                }
                let order = total < count / 4 ? heapOrder(total, precedes) : pairwiseOrder(precedes)
                for position in order.prefix(total) {
                    result.append(KeyValue(key: entries[position], value: values[position]))
                }
                return result
            }
        }
    }

    /// The positions of the first `total` entries in merged order, from a binary heap of the
    /// runs' heads.
    @inlinable
    func heapOrder(_ total: Int, _ precedes: (Int, Int) -> Bool) -> [Int] {
        var order: [Int] = []
        order.reserveCapacity(total)
        // Each run's next position; the heap holds run indices, the run whose head comes first on top.
        var next = [0] + ends.dropLast(), heap = Array(ends.indices)
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 &* parent &+ 1, right = left &+ 1
                var top = parent
                if left < heap.count && precedes(next[heap[left]], next[heap[top]]) { top = left }
                if right < heap.count && precedes(next[heap[right]], next[heap[top]]) { top = right }
                if top == parent { return }
                heap.swapAt(parent, top)
                parent = top
            }
        }
        for start in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(start) }
        while order.count < total {
            let run = heap[0]
            order.append(next[run])
            next[run] &+= 1
            if next[run] == ends[run] {
                heap[0] = heap[heap.count &- 1]
                heap.removeLast()
                if heap.isEmpty { break }
            }
            siftDown(0)
        }
        return order
    }

    /// The positions of every entry in merged order: adjacent runs merged pairwise, round after
    /// round, until one run is left.
    @inlinable
    func pairwiseOrder(_ precedes: (Int, Int) -> Bool) -> [Int] {
        var order = Array(0..<count), spare = [Int](repeating: 0, count: count)
        var bounds = [0] + ends
        while bounds.count > 2 {
            var merged = [0]
            var run = 0
            while run &+ 1 < bounds.count {
                let start = bounds[run], middle = bounds[run &+ 1]
                let end = run &+ 2 < bounds.count ? bounds[run &+ 2] : middle
                var left = start, right = middle, out = start
                while left < middle && right < end {
                    if precedes(order[right], order[left]) {
                        spare[out] = order[right]
                        right &+= 1
                    } else {
                        spare[out] = order[left]
                        left &+= 1
                    }
                    out &+= 1
                }
                while left < middle { spare[out] = order[left]; left &+= 1; out &+= 1 }
                while right < end { spare[out] = order[right]; right &+= 1; out &+= 1 }
                merged.append(end)
                run &+= 2
            }
            swap(&order, &spare)
            bounds = merged
        }
        return order
    }
}


extension ShardIndex {
    /// Appends to `run` this shard's live entries within `bounds`, ordered by (index key, entry
    /// key) — descending when `reverse` —, at most `limit`. Shared lock held by the caller.
    @inlinable
    func matches(within bounds: IndexBounds<Key>, in table: KindTable<Value>, now: Int64?,
                 limit: Int, reverse: Bool, into run: inout IndexRun<Key, Value>) {
        let start = run.count
        // Local copies: one exclusivity check and retain each, not one per read.
        let buckets = self.buckets
        // Appends the live entries of one bucket, in order; returns false once `limit` is reached.
        func take(_ entries: [EntryKey], under key: Key) -> Bool {
            var position = reverse ? entries.count &- 1 : 0
            while position >= 0 && position < entries.count {
                let entry = entries[position]
                position = reverse ? position &- 1 : position &+ 1
                guard let found = table.liveEntry(entry, now: now) else { continue }
                run.append(key, entry.key, found.value)
                if run.count &- start == limit { return false }
            }
            return true
        }
        if let exact = bounds.exact {
            if let entries = buckets[exact] { _ = take(entries, under: exact) }
            return
        }
        let sortedKeys = self.sortedKeys
        let positions = positions(within: bounds)
        var next = reverse ? positions.upperBound &- 1 : positions.lowerBound
        while positions.contains(next) {
            let key = sortedKeys[next]
            next = reverse ? next &- 1 : next &+ 1
            guard let bucket = buckets.index(forKey: key) else { continue }
            if !take(buckets.values[bucket], under: key) { return }
        }
    }

    /// The number of this shard's live entries within `bounds`. Shared lock held by the caller.
    @inlinable
    func count(within bounds: IndexBounds<Key>, in table: KindTable<Value>, now: Int64?) -> Int {
        if let exact = bounds.exact {
            guard let bucket = buckets[exact] else { return 0 }
            guard now != nil else { return bucket.count }
            return bucket.reduce(0) { $0 + (table.liveEntry($1, now: now) == nil ? 0 : 1) }
        }
        var count = 0
        for position in positions(within: bounds) {
            let bucket = buckets[sortedKeys[position]].unsafelyUnwrapped
            guard now != nil else {
                count += bucket.count
                continue
            }
            for entry in bucket where table.liveEntry(entry, now: now) != nil { count += 1 }
        }
        return count
    }
}
