// Entry points for `DurableStore`, which layers persistence over a private MemoryStore.
// They skip the cancellation check: they apply changes that are already durable, so they must
// not fail half-way for a reason the caller can no longer act on.

extension MemoryStore {
    /// Inserts a loaded row with its persisted version (at open, before any watcher exists).
    func restore(_ kind: String, _ key: String, _ value: Value, version: UInt64) {
        let hash = EntryKey.hash(of: key)
        let shard = shard(for: hash)
        shard.lockExclusive()
        defer { shard.unlock() }
        let table = shard.indexCreatingTable(for: kind)
        let entryKey = EntryKey(key: key, hash: hash)
        let entry = Entry(value: value, version: version)
        if let slot = shard.tables[table].entries.slot(of: entryKey) {
            shard.tables[table].entries.replaceEntry(atSlot: slot, with: entry)
        } else {
            shard.tables[table].entries.insertNew(entryKey, entry)
        }
    }

    /// `set` of a value already committed: no cancellation check, no validator (it ran before
    /// the commit). Returns the result and the version applied. Throws only ``StoreError/closed``.
    @discardableResult
    func applyCommitted(_ kind: String, _ key: String, _ value: Value) throws -> AppliedWrite {
        try store(kind, key, value)
    }

    /// `setMany` of values already committed; returns what happened to each key, in ascending
    /// key order. Throws only ``StoreError/closed``.
    @discardableResult
    func applyCommitted(_ kind: String, _ values: [(key: String, value: Value)]) throws -> [AppliedWrite] {
        try storeMany(kind, values)
    }

    /// `delete` of a removal already committed. Throws only ``StoreError/closed``.
    @discardableResult
    func deleteCommitted(_ kind: String, _ key: String) throws -> Value? {
        try remove(kind, key)
    }

    /// A removal made by another process (change feed, resynchronization, reconciliation): its
    /// event's cause is ``EventCause/external``. Throws only ``StoreError/closed``.
    @discardableResult
    func deleteExternal(_ kind: String, _ key: String) throws -> Value? {
        try remove(kind, key, cause: .external)
    }
}

extension MemoryStore {
    /// Applies a change made by another process (from a backend's change feed) at exactly its
    /// persisted `version`, publishing the event like a local write but with cause
    /// ``EventCause/external``. Throws only ``StoreError/closed``.
    @discardableResult
    func applyExternal(_ kind: String, _ key: String, _ value: Value, version: UInt64) throws -> SetResult {
        let hash = EntryKey.hash(of: key)
        let shard = shard(for: hash)
        shard.lockExclusive()
        defer { shard.unlock() }
        if isClosed { throw StoreError.closed }
        let table = shard.indexCreatingTable(for: kind)
        let entryKey = EntryKey(key: key, hash: hash)
        let entry = Entry(value: value, version: version)
        if let slot = shard.tables[table].entries.slot(of: entryKey) {
            shard.tables[table].entries.replaceEntry(atSlot: slot, with: entry)
            shard.tables[table].hub?.publish(key: key, type: .update, value: value, cause: .external)
            return .updated
        }
        shard.tables[table].entries.insertNew(entryKey, entry)
        shard.tables[table].hub?.publish(key: key, type: .create, value: value, cause: .external)
        return .created
    }
}
