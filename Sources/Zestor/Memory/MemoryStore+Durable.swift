// Entry points for `DurableStore`, which layers persistence over a private MemoryStore.
// They skip the cancellation check: they apply changes that are already durable, so they must
// not fail half-way for a reason the caller can no longer act on.

extension MemoryStore {
    /// Inserts a loaded row with its persisted version. Called only at open, on the engine of a
    /// `DurableStore` that is not yet returned to anyone, so it has no watcher and cannot be closed.
    func restore(_ kind: String, _ key: String, _ value: Value, version: UInt64) {
        let entryKey = EntryKey(key: key)
        do {
            try mutate(kind, entryKey) { table in
                _ = table.upsert(entryKey, value, version: version, cause: .replay)
            }
        } catch {
            preconditionFailure("restore into a closed engine: \(error)")
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

    /// Applies a change made by another process (from a backend's change feed) at exactly its
    /// persisted `version`, publishing the event like a local write but with cause
    /// ``EventCause/external``. Throws only ``StoreError/closed``.
    @discardableResult
    func applyExternal(_ kind: String, _ key: String, _ value: Value, version: UInt64) throws -> SetResult {
        let entryKey = EntryKey(key: key)
        return try mutate(kind, entryKey) { table in
            table.upsert(entryKey, value, version: version, cause: .external)
        }
    }
}
