/// The write funnel of the engine: every change to an entry of a kind goes through the functions
/// of this file (and the cache's removals in `KindTable+Cache.swift`). Callers hold the owning
/// shard's lock exclusively (``MemoryStore/mutate(_:_:_:)`` or, for `setMany`, every shard
/// involved). A write that gives an entry a deadline finds ``cache`` non-nil: the store creates
/// it first (``MemoryStore/resolve(_:in:)``).
extension KindTable {
    /// A local write (`set`, `setMany`, `compareAndSet`, a committed write of `DurableStore`):
    /// skipped when `changeDetector` finds `value` equivalent to the stored one (the expiry is
    /// still applied); otherwise stored at the next version (1 for a new key) and published with
    /// cause ``EventCause/write``. Returns the result and the key's version afterwards.
    @inlinable
    mutating func upsert(_ key: EntryKey, _ value: Value, changeDetector: ChangeDetector<Value>,
                         expiry: ExpiryChange = .never) -> AppliedWrite {
        if cache == nil {
            // No cache state: no expiry to apply (a deadline would have made the table a cache)
            // and no node; the same steps as below without the cache's.
            guard let slot = entries.slot(of: key) else {
                writeUncached(Entry(value: value, version: 1), for: key, atSlot: nil, cause: .write)
                return AppliedWrite(result: .created, version: 1)
            }
            let stored = entries.entry(atSlot: slot)
            if changeDetector.isEquivalent(stored.value, value) {
                return AppliedWrite(result: .unchanged, version: stored.version)
            }
            let version = stored.version &+ 1
            writeUncached(Entry(value: value, version: version), for: key, atSlot: slot, cause: .write)
            return AppliedWrite(result: .updated, version: version)
        }
        guard let slot = liveSlot(of: key) else {
            write(Entry(value: value, version: 1), for: key, atSlot: nil, expiry: expiry, cause: .write)
            return AppliedWrite(result: .created, version: 1)
        }
        let stored = entries.entry(atSlot: slot)
        if changeDetector.isEquivalent(stored.value, value) {
            if cache != nil { applyExpiry(expiry, to: key, atSlot: slot) }
            return AppliedWrite(result: .unchanged, version: stored.version)
        }
        let version = stored.version &+ 1
        write(Entry(value: value, version: version), for: key, atSlot: slot, expiry: expiry, cause: .write)
        return AppliedWrite(result: .updated, version: version)
    }

    /// A write whose version was decided elsewhere (a row loaded at open, a change made by
    /// another process, a commit of `DurableStore`): stored at exactly `version` with `expiry`,
    /// never skipped, published with `cause`. A deadline needs ``cache`` to be non-nil.
    @inlinable
    mutating func upsert(_ key: EntryKey, _ value: Value, version: UInt64, cause: EventCause,
                         expiry: ExpiryChange = .never) -> SetResult {
        let slot = liveSlot(of: key)
        write(Entry(value: value, version: version), for: key, atSlot: slot, expiry: expiry, cause: cause)
        return slot == nil ? .created : .updated
    }

    /// The slot of `key`'s live entry, or nil when absent. An entry found expired is removed
    /// first (with its `.delete` event, cause ``EventCause/expired``), so a write never revives it.
    @inlinable @inline(__always)
    mutating func liveSlot(of key: EntryKey) -> Int? {
        guard let slot = entries.slot(of: key) else { return nil }
        if cache == nil { return slot }
        return liveCachedSlot(slot, of: key)
    }

    /// Stores `entry` under `key`, which is in `slot` when non-nil and absent when nil, applies
    /// `expiry`, and publishes the `.create` or `.update` event. The one place an entry is
    /// inserted or replaced. An insertion into a full share of a bounded kind evicts first.
    @inlinable @inline(__always)
    mutating func write(_ entry: Entry<Value>, for key: EntryKey, atSlot slot: Int?, expiry: ExpiryChange,
                        cause: EventCause) {
        if cache == nil { return writeUncached(entry, for: key, atSlot: slot, cause: cause) }
        if let slot {
            if indexes != nil { indexesDidStore(key, entry.value, previous: entries.entry(atSlot: slot).value) }
            entries.replaceEntry(atSlot: slot, with: entry)
            cacheDidReplace(key, atSlot: slot, expiry: expiry)
            hub?.publish(key: key.key, type: .update, value: entry.value, cause: cause)
        } else {
            let node = cacheWillInsert(key, expiry: expiry)
            if indexes != nil { indexesDidStore(key, entry.value, previous: nil) }
            entries.insertNew(key, entry, node: node)
            hub?.publish(key: key.key, type: .create, value: entry.value, cause: cause)
        }
    }

    /// ``write(_:for:atSlot:expiry:cause:)`` for a table without cache state (`cache` is nil).
    @inlinable @inline(__always)
    mutating func writeUncached(_ entry: Entry<Value>, for key: EntryKey, atSlot slot: Int?, cause: EventCause) {
        if let slot {
            if indexes != nil { indexesDidStore(key, entry.value, previous: entries.entry(atSlot: slot).value) }
            entries.replaceEntry(atSlot: slot, with: entry)
            hub?.publish(key: key.key, type: .update, value: entry.value, cause: cause)
        } else {
            if indexes != nil { indexesDidStore(key, entry.value, previous: nil) }
            entries.insertNew(key, entry)
            hub?.publish(key: key.key, type: .create, value: entry.value, cause: cause)
        }
    }

    /// Removes the entry under `key` and publishes its `.delete` event with `cause`; returns the
    /// removed entry, or nil when absent. An entry found expired is removed as expired (cause
    /// ``EventCause/expired``) and reported absent. The one place a single entry is removed.
    @inlinable
    mutating func remove(_ key: EntryKey, cause: EventCause) -> Entry<Value>? {
        if cache != nil { return removeCached(key, cause: cause) }
        guard let removed = entries.remove(key) else { return nil }
        if indexes != nil { indexesDidRemove(key, removed.value) }
        hub?.publish(key: key.key, type: .delete, value: removed.value, cause: cause)
        return removed
    }

    /// Drops every entry without events (the store is closing: its watches end instead), and
    /// the indexes with them (no query runs on a closed store).
    mutating func removeAll() {
        entries = EntryTable()
        cache = nil
        indexes = nil
    }
}
