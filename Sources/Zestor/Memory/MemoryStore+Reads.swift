extension MemoryStore {
    /// The value stored under `kind`/`key`, or `nil` when there is none.
    @inlinable
    public func get(_ kind: String, _ key: String) throws -> Value? {
        try checkUsable()
        return read(kind, EntryKey(key: key))?.value
    }

    /// The value stored under `kind`/`key` with its version, or `nil` when there is none.
    @inlinable
    public func getVersioned(_ kind: String, _ key: String) throws -> Versioned<Value>? {
        try checkUsable()
        return versionedUnchecked(kind, key)
    }

    /// The stored entry with its version, without the cancellation and closed checks (used by
    /// `DurableStore` between a commit and its apply).
    @inlinable
    func versionedUnchecked(_ kind: String, _ key: String) -> Versioned<Value>? {
        read(kind, EntryKey(key: key)).map { Versioned(value: $0.value, version: $0.version) }
    }

    /// The entry stored under `key` in `kind`, read under its shard's lock held shared: the one
    /// point lookup of the engine.
    @inlinable @inline(__always)
    func read(_ kind: String, _ key: EntryKey) -> Entry<Value>? {
        let shard = shard(for: key.hash)
        shard.lockShared()
        defer { shard.unlock() }
        guard let table = shard.index(of: kind) else { return nil }
        // Each step reads the table in place: copying it out would retain its kind, entries,
        // hub and cache.
        if shard.tables[table].cache == nil { return shard.tables[table].entries[key] }
        // The two references as unretained values, loaded before any call: passing the table
        // itself would copy it (four retains) to keep it alive across the clock's opaque call.
        let cache = Unmanaged.passUnretained(shard.tables[table].cache.unsafelyUnwrapped)
        let entries = shard.tables[table].entries.storage.map { Unmanaged.passUnretained($0) }
        return KindTable.lookup(key, in: entries, cache: cache)
    }

    /// The entries of `kind` for which every filter returns `true`, at one point in time.
    /// Filters run after every lock is released.
    @inlinable
    public func list(_ kind: String, where filters: [(String, Value) -> Bool]) throws -> [String: Value] {
        let tables = try snapshot(of: kind)
        var result: [String: Value] = [:]
        result.reserveCapacity(tables.reduce(0) { $0 + $1.count })
        for table in tables {
            if filters.isEmpty {
                table.forEachEntry { key, entry in result[key] = entry.value }
            } else {
                table.forEachEntry { key, entry in
                    if filters.allSatisfy({ $0(key, entry.value) }) { result[key] = entry.value }
                }
            }
        }
        return result
    }

    /// The entries of `kind`; the synchronous form of ``Store/list(_:)``.
    @inlinable
    public func list(_ kind: String) throws -> [String: Value] {
        try list(kind, where: [])
    }

    /// The number of keys in `kind`.
    @inlinable
    public func count(_ kind: String) throws -> Int {
        try checkUsable()
        lockAll(exclusive: false)
        defer { unlockAll() }
        var count = 0
        for shard in shards {
            if let table = shard.index(of: kind) { count += shard.tables[table].liveCount() }
        }
        return count
    }

    /// The keys of `kind`, in no particular order.
    @inlinable
    public func keys(_ kind: String) throws -> [String] {
        let tables = try snapshot(of: kind)
        var keys: [String] = []
        keys.reserveCapacity(tables.reduce(0) { $0 + $1.count })
        for table in tables {
            table.forEachEntry { key, _ in keys.append(key) }
        }
        return keys
    }

    /// The entries of `kind`, in no particular order.
    @inlinable
    public func values(_ kind: String) throws -> [KeyValue<Value>] {
        let tables = try snapshot(of: kind)
        var values: [KeyValue<Value>] = []
        values.reserveCapacity(tables.reduce(0) { $0 + $1.count })
        for table in tables {
            table.forEachEntry { key, entry in values.append(KeyValue(key: key, value: entry.value)) }
        }
        return values
    }

    /// Every entry of every kind, at one point in time.
    @inlinable
    public func getAll() throws -> [String: [String: Value]] {
        try checkUsable()
        lockAll(exclusive: false)
        let copies = shards.map { shard in shard.tables.map { TableSnapshot(kind: $0.kind, table: $0) } }
        unlockAll()
        var sizes: [String: Int] = [:]
        for tables in copies {
            for table in tables { sizes[table.kind, default: 0] += table.count }
        }
        var result: [String: [String: Value]] = [:]
        for (kind, size) in sizes where size > 0 {
            result[kind] = Dictionary(minimumCapacity: size)
        }
        for tables in copies {
            for table in tables where table.count > 0 {
                table.forEachEntry { key, entry in result[table.kind]![key] = entry.value }
            }
        }
        return result
    }

    /// Copy-on-write copies of every shard's table of `kind`, taken under all shard locks at once,
    /// so the result reflects one point in time (entries expired at that time left out). Copies
    /// cost O(shards) plus O(expired); callers iterate lock-free.
    @inlinable
    func snapshot(of kind: String) throws -> [TableSnapshot<Value>] {
        try checkUsable()
        var tables: [TableSnapshot<Value>] = []
        tables.reserveCapacity(shards.count)
        lockAll(exclusive: false)
        for shard in shards {
            if let table = shard.index(of: kind), !shard.tables[table].entries.isEmpty {
                tables.append(TableSnapshot(kind: kind, table: shard.tables[table]))
            }
        }
        unlockAll()
        return tables
    }
}
