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
}
