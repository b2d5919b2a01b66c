extension MemoryStore {
    /// Stores `value`; reports whether the key was created, updated, or left unchanged.
    /// The kind's validator runs first; its error is rethrown and nothing is written.
    @inlinable
    @discardableResult
    public func set(_ kind: String, _ key: String, _ value: Value) throws -> SetResult {
        try checkWritable(kind)
        try validate(kind, value)
        return try store(kind, key, value).result
    }

    /// The body of `set` after its checks: locks the key's shard and applies; returns the result
    /// and the version applied. Throws only ``StoreError/closed``. (`DurableStore` calls it
    /// directly for changes already committed.)
    @inlinable
    @discardableResult
    func store(_ kind: String, _ key: String, _ value: Value) throws -> AppliedWrite {
        let hash = EntryKey.hash(of: key)
        let shard = shard(for: hash)
        shard.lockExclusive()
        defer { shard.unlock() }
        if isClosed { throw StoreError.closed }
        let table = shard.indexCreatingTable(for: kind)
        return apply(value, to: EntryKey(key: key, hash: hash), in: &shard.tables[table])
    }

    /// Atomically transforms the stored value: `transform` runs under the key's stripe lock.
    /// Throws ``StoreError/keyNotFound(kind:key:)`` when absent; rethrows the transform's or the
    /// validator's error and then stores nothing. Returns whether the stored value changed.
    @inlinable
    @discardableResult
    public func update(_ kind: String, _ key: String, _ transform: (inout Value) throws -> Void) throws -> Bool {
        try checkWritable(kind)
        let hash = EntryKey.hash(of: key)
        let entryKey = EntryKey(key: key, hash: hash)
        let shard = shard(for: hash)
        shard.lockExclusive()
        defer { shard.unlock() }
        if isClosed { throw StoreError.closed }
        guard let table = shard.index(of: kind),
              let slot = shard.tables[table].entries.slot(of: entryKey)
        else { throw StoreError.keyNotFound(kind: kind, key: key) }
        let stored = shard.tables[table].entries.entry(atSlot: slot)
        var value = stored.value
        try transform(&value)
        try validate(kind, value)
        if isEquivalent(stored.value, value) { return false }
        shard.tables[table].entries.replaceEntry(atSlot: slot, with: Entry(value: value, version: stored.version &+ 1))
        shard.tables[table].hub?.publish(key: key, type: .update, value: value)
        return true
    }

    /// Merges `values` into `kind` atomically with respect to readers and watchers: keys absent
    /// from `values` are left alone, unchanged keys are skipped, events are emitted in key order.
    /// Every value is validated first; one failure rejects the whole call and nothing is written.
    public func setMany(_ kind: String, _ values: [String: Value]) throws {
        try checkWritable(kind)
        if values.isEmpty { return }
        for value in values.values { try validate(kind, value) }
        try storeMany(kind, values.map { (key: $0.key, value: $0.value) })
    }

    /// The body of `setMany` after its checks: locks the shards involved (in index order) and
    /// applies in key order, so readers and watchers see all or nothing. Returns what happened to
    /// each key, in ascending key order (whatever the order of `values`). Throws only
    /// ``StoreError/closed``. (`DurableStore` calls it directly for changes already committed.)
    @discardableResult
    func storeMany(_ kind: String, _ values: [(key: String, value: Value)]) throws -> [AppliedWrite] {
        let sorted = values.sorted { $0.key < $1.key }
        let hashes = sorted.map { EntryKey.hash(of: $0.key) }
        let order = Set(hashes.map { shards.index(for: $0) }).sorted()
        for index in order { shards[index].lockExclusive() }
        defer { for index in order.reversed() { shards[index].unlock() } }
        if isClosed { throw StoreError.closed }
        var applied: [AppliedWrite] = []
        applied.reserveCapacity(sorted.count)
        for (item, hash) in zip(sorted, hashes) {
            let shard = shard(for: hash)
            let table = shard.indexCreatingTable(for: kind)
            applied.append(apply(item.value, to: EntryKey(key: item.key, hash: hash), in: &shard.tables[table]))
        }
        return applied
    }

    /// Removes the entry; returns the value it had, or `nil` when the key did not exist.
    @inlinable
    @discardableResult
    public func delete(_ kind: String, _ key: String) throws -> Value? {
        try checkWritable(kind)
        return try remove(kind, key)
    }

    /// The body of `delete` after its checks; its event carries `cause`. Throws only
    /// ``StoreError/closed``.
    @inlinable
    @discardableResult
    func remove(_ kind: String, _ key: String, cause: EventCause = .write) throws -> Value? {
        let hash = EntryKey.hash(of: key)
        let shard = shard(for: hash)
        shard.lockExclusive()
        defer { shard.unlock() }
        if isClosed { throw StoreError.closed }
        guard let table = shard.index(of: kind),
              let removed = shard.tables[table].entries.remove(EntryKey(key: key, hash: hash))
        else { return nil }
        if let hub = shard.tables[table].hub {
            hub.publish(key: key, type: .delete, value: removed.value, cause: cause)
        } else if shard.tables[table].entries.isEmpty {
            shard.removeTableIfUnused(at: table)
        }
        return removed.value
    }

    /// Stores `value` only if the key's current version is `expectedVersion` (`nil`: the key must
    /// be absent). Returns the new version; throws ``StoreError/versionConflict(kind:key:expected:actual:)``
    /// otherwise. An equivalent value leaves the version unchanged and emits nothing.
    @discardableResult
    public func compareAndSet(_ kind: String, _ key: String, _ value: Value, expectedVersion: UInt64?) throws -> UInt64 {
        try checkWritable(kind)
        try validate(kind, value)
        let hash = EntryKey.hash(of: key)
        let entryKey = EntryKey(key: key, hash: hash)
        let shard = shard(for: hash)
        shard.lockExclusive()
        defer { shard.unlock() }
        if isClosed { throw StoreError.closed }
        let actual = shard.index(of: kind).flatMap { shard.tables[$0].entries[entryKey]?.version }
        guard actual == expectedVersion else {
            throw StoreError.versionConflict(kind: kind, key: key, expected: expectedVersion, actual: actual)
        }
        let table = shard.indexCreatingTable(for: kind)
        return apply(value, to: entryKey, in: &shard.tables[table]).version
    }

    /// Writes `value` into `table` unless equivalent to the stored one, bumps the version and
    /// publishes the event; returns the result and the key's version afterwards. Caller holds the
    /// owning shard's lock exclusively.
    @inlinable
    @discardableResult
    func apply(_ value: Value, to entryKey: EntryKey, in table: inout KindTable<Value>) -> AppliedWrite {
        if let slot = table.entries.slot(of: entryKey) {
            let stored = table.entries.entry(atSlot: slot)
            if isEquivalent(stored.value, value) { return AppliedWrite(result: .unchanged, version: stored.version) }
            let version = stored.version &+ 1
            table.entries.replaceEntry(atSlot: slot, with: Entry(value: value, version: version))
            table.hub?.publish(key: entryKey.key, type: .update, value: value)
            return AppliedWrite(result: .updated, version: version)
        }
        table.entries.insertNew(entryKey, Entry(value: value, version: 1))
        table.hub?.publish(key: entryKey.key, type: .create, value: value)
        return AppliedWrite(result: .created, version: 1)
    }
}
