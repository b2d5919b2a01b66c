extension MemoryStore {
    /// Write access to one key's kind table: locks the shard owning `key` exclusively, throws
    /// ``StoreError/closed`` if the store is closed, and hands `body` the kind's table in that
    /// shard (created if the shard has none). A table left with no entry and no watch hub is
    /// dropped before the lock is released, so absent kinds cost no memory.
    ///
    /// Every single-key change of the engine comes through here and then through the write
    /// funnel of ``KindTable`` (`KindTable+Mutations.swift`); `setMany` locks its shards itself
    /// (``storeMany(_:_:)``) and uses the same funnel.
    @inlinable @inline(__always)
    func mutate<Result>(_ kind: String, _ key: EntryKey,
                        _ body: (inout KindTable<Value>) throws -> Result) throws -> Result {
        let shard = shard(for: key.hash)
        shard.lockExclusive()
        defer { shard.unlock() }
        if isClosed { throw StoreError.closed }
        let table = shard.indexCreatingTable(for: kind)
        defer { if shard.tableIsUnused(at: table) { shard.removeTable(at: table) } }
        return try body(&shard.tables[table])
    }

    /// Write access to several keys at once: locks the shards owning `keys` exclusively, in
    /// ascending index order, throws ``StoreError/closed`` if the store is closed, and runs `body`
    /// with a function from a key to its shard and the keys themselves. Tables `body` creates stay
    /// (a write creates an entry in each). How `setMany` and `DurableStore`'s committed batches
    /// write atomically with respect to readers and watchers.
    func withShardsLocked<Result>(of keys: [EntryKey],
                                  _ body: ((EntryKey) -> Shard<Value>, [EntryKey]) throws -> Result) throws -> Result {
        let order = Set(keys.map { shards.index(for: $0.hash) }).sorted()
        for index in order { shards[index].lockExclusive() }
        defer { for index in order.reversed() { shards[index].unlock() } }
        if isClosed { throw StoreError.closed }
        return try body({ self.shard(for: $0.hash) }, keys)
    }
}
