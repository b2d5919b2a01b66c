// Entry points for `DurableStore`, which layers persistence over a private MemoryStore.
// They skip the cancellation check: they apply changes that are already durable (or, in
// write-behind mode, recorded to be), so they must not fail half-way for a reason the caller can
// no longer act on. Versions and expiry deadlines are decided by the caller, which holds the
// key's gate: memory takes exactly what the storage took.

extension MemoryStore {
    /// Inserts a loaded row with its persisted version, expiring at the monotonic `deadline`
    /// (0: never). Called at open, on the engine of a `DurableStore` that is not yet returned to
    /// anyone (so it has no watcher and cannot be closed), and on scratch engines.
    func restore(_ kind: String, _ key: String, _ value: Value, version: UInt64, deadline: Int64) {
        do {
            try storeAtVersion(kind, key, value, version: version, expiry: .deadline(deadline), cause: .replay)
        } catch {
            preconditionFailure("restore into a closed engine: \(error)")
        }
    }

    /// Stores a value already committed (or recorded, in write-behind mode) at exactly `version`,
    /// with `expiry` (``ExpiryChange/keep`` leaves a replaced entry's expiry as it was), and
    /// publishes it with cause ``EventCause/write``; no validator (it ran before the commit).
    /// `afterApply` runs under the key's shard lock, right after the apply. Throws only
    /// ``StoreError/closed``.
    @discardableResult
    func applyCommitted(_ kind: String, _ key: String, _ value: Value, version: UInt64, expiry: ExpiryChange,
                        afterApply: () -> Void = {}) throws -> SetResult {
        try storeAtVersion(kind, key, value, version: version, expiry: expiry, cause: .write, afterApply: afterApply)
    }

    /// ``applyCommitted(_:_:_:version:expiry:afterApply:)`` for several keys of one kind at once:
    /// locks their shards (in index order) and applies in ascending key order, so readers and
    /// watchers see all or nothing. `afterApply` runs under those locks after the last apply.
    func applyCommitted(_ kind: String, _ items: [(key: String, value: Value, version: UInt64)],
                        expiry: ExpiryChange, afterApply: () -> Void = {}) throws {
        let sorted = items.sorted { $0.key < $1.key }
        try withShardsLocked(of: sorted.map { EntryKey(key: $0.key) }) { shardOf, keys in
            for (item, entryKey) in zip(sorted, keys) {
                let shard = shardOf(entryKey)
                let table = shard.indexCreatingTable(for: kind)
                let expiry = prepare(expiry, in: &shard.tables[table])
                _ = shard.tables[table].upsert(entryKey, item.value, version: item.version, cause: .write, expiry: expiry)
            }
            afterApply()
        }
    }

    /// `delete` of a removal already committed (or recorded). `afterApply` runs under the key's
    /// shard lock, right after the removal. Throws only ``StoreError/closed``.
    @discardableResult
    func deleteCommitted(_ kind: String, _ key: String, afterApply: () -> Void = {}) throws -> Value? {
        let entryKey = EntryKey(key: key)
        return try mutate(kind, entryKey) { table in
            defer { afterApply() }
            return table.remove(entryKey, cause: .write)?.value
        }
    }

    /// A removal made by another process (change feed, resynchronization, reconciliation): its
    /// event's cause is ``EventCause/external``. Throws only ``StoreError/closed``.
    @discardableResult
    func deleteExternal(_ kind: String, _ key: String) throws -> Value? {
        try remove(kind, key, cause: .external)
    }

    /// Applies a change made by another process (from a backend's change feed) at exactly its
    /// persisted `version`, expiring at the monotonic `deadline` (0: never), publishing the event
    /// like a local write but with cause ``EventCause/external``. Throws only ``StoreError/closed``.
    @discardableResult
    func applyExternal(_ kind: String, _ key: String, _ value: Value, version: UInt64, deadline: Int64) throws -> SetResult {
        try storeAtVersion(kind, key, value, version: version, expiry: .deadline(deadline), cause: .external)
    }

    /// The one write of this file's entry points: stores `value` under `kind`/`key` at exactly
    /// `version` with `expiry`, publishing its event with `cause`, then runs `afterApply` under
    /// the key's shard lock. Throws only ``StoreError/closed``.
    @discardableResult
    private func storeAtVersion(_ kind: String, _ key: String, _ value: Value, version: UInt64, expiry: ExpiryChange,
                       cause: EventCause, afterApply: () -> Void = {}) throws -> SetResult {
        let entryKey = EntryKey(key: key)
        return try mutate(kind, entryKey) { table in
            let expiry = prepare(expiry, in: &table)
            defer { afterApply() }
            return table.upsert(entryKey, value, version: version, cause: cause, expiry: expiry)
        }
    }

    /// A write whose version and expiry the caller decides from the key's live entry, in one
    /// exclusive hold of the key's shard lock: `decide` gets the live entry with its monotonic
    /// deadline (0: never; an entry found expired is removed first, as a write would) and returns
    /// what to do; `afterApply` runs under the same lock when something changed. How a
    /// write-behind `set` reads, decides and applies without locking the shard twice. A value it
    /// stores claims its unique index keys first (throwing
    /// ``StoreError/uniqueIndexViolation(kind:index:key:conflictingKey:indexKey:)`` before anything
    /// changes); otherwise throws only ``StoreError/closed``.
    func applyDecided(_ kind: String, _ key: String,
                      _ decide: ((entry: Versioned<Value>, deadline: Int64)?) -> DecidedWrite<Value>,
                      afterApply: (DecidedWrite<Value>) -> Void) throws -> SetResult {
        let entryKey = EntryKey(key: key)
        return try mutate(kind, entryKey) { table in
            var current: (entry: Versioned<Value>, deadline: Int64)?
            let slot = table.liveSlot(of: entryKey)
            if let slot {
                let entry = table.entries.entry(atSlot: slot)
                let node = table.entries.node(atSlot: slot)
                let deadline = node != 0 && table.cache != nil ? table.cache.unsafelyUnwrapped.deadline(of: node) : 0
                current = (Versioned(value: entry.value, version: entry.version), deadline)
            }
            let decision = decide(current)
            switch decision {
            case .unchanged:
                return .unchanged
            case .expiry(let deadline, _):
                let expiry = prepare(.deadline(deadline), in: &table)
                if let slot, table.cache != nil { table.applyExpiry(expiry, to: entryKey, atSlot: slot) }
                afterApply(decision)
                return .unchanged
            case .store(let value, let version, let deadline):
                if table.indexes != nil { _ = try table.claimUniqueKeys(key, value, previous: current?.entry.value) }
                let expiry = prepare(.deadline(deadline), in: &table)
                let result = table.upsert(entryKey, value, version: version, cause: .write, expiry: expiry)
                afterApply(decision)
                return result
            }
        }
    }

    /// The live entry under `kind`/`key` with its version and monotonic expiry deadline (0: never).
    /// An entry found expired is removed first (its `.delete` event published, its removal told
    /// to ``cacheRemovals``), so the caller — about to write the key — knows the version it had.
    func versionedWithDeadline(_ kind: String, _ key: String) -> (entry: Versioned<Value>, deadline: Int64)? {
        let entryKey = EntryKey(key: key)
        let found: (entry: Versioned<Value>, deadline: Int64)?? = {
            let shard = shard(for: entryKey.hash)
            shard.lockShared()
            defer { shard.unlock() }
            guard let index = shard.index(of: kind),
                  let (slot, node) = shard.tables[index].entries.slotAndNode(of: entryKey) else { return .some(nil) }
            let entry = shard.tables[index].entries.entry(atSlot: slot)
            guard node != 0, let cache = shard.tables[index].cache else {
                return (Versioned(value: entry.value, version: entry.version), 0)
            }
            let deadline = cache.deadline(of: node)
            if deadline != 0 && clock.hasPassed(deadline) { return nil }  // expired
            return (Versioned(value: entry.value, version: entry.version), deadline)
        }()
        if let found { return found }
        _ = try? mutate(kind, entryKey) { table in table.liveSlot(of: entryKey) }
        return nil
    }

    /// Gives the live entry under `kind`/`key` the monotonic `deadline` (0: never) if its version
    /// is `version`, without an event or a new version; returns whether it did. `afterApply` runs
    /// under the key's shard lock when it did. Throws only ``StoreError/closed``.
    @discardableResult
    func applyDeadline(_ kind: String, _ key: String, version: UInt64, deadline: Int64,
                       afterApply: () -> Void = {}) throws -> Bool {
        let entryKey = EntryKey(key: key)
        return try mutate(kind, entryKey) { table in
            guard let slot = table.liveSlot(of: entryKey), table.entries.entry(atSlot: slot).version == version else {
                return false
            }
            let expiry = prepare(.deadline(deadline), in: &table)
            if table.cache != nil { table.applyExpiry(expiry, to: entryKey, atSlot: slot) }
            afterApply()
            return true
        }
    }

    /// `expiry` for a write into `table`, making the kind a cache in this shard first when it is a
    /// deadline and the kind is not one yet. Caller holds the shard's lock exclusively.
    private func prepare(_ expiry: ExpiryChange, in table: inout KindTable<Value>) -> ExpiryChange {
        if case .deadline(let deadline) = expiry, deadline != 0, table.cache == nil { makeCache(&table) }
        return expiry
    }

}

/// What ``MemoryStore/applyDecided(_:_:_:afterApply:)`` does to a key.
enum DecidedWrite<Value: Sendable> {
    /// Nothing: the value and expiry stay.
    case unchanged
    /// Give the live entry, at `version`, this monotonic deadline (0: never), without a new
    /// version or event.
    case expiry(Int64, version: UInt64)
    /// Store `value` at exactly `version`, expiring at `deadline` (0: never).
    case store(Value, version: UInt64, deadline: Int64)
}
