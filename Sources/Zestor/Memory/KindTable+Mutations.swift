/// The write funnel of the engine: every change to an entry of a kind goes through the functions
/// of this file. Callers hold the owning shard's lock exclusively (``MemoryStore/mutate(_:_:_:)``
/// or, for `setMany`, every shard involved).
extension KindTable {
    /// A local write (`set`, `setMany`, `compareAndSet`, a committed write of `DurableStore`):
    /// skipped when `changeDetector` finds `value` equivalent to the stored one; otherwise stored
    /// at the next version (1 for a new key) and published with cause ``EventCause/write``.
    /// Returns the result and the key's version afterwards.
    @inlinable
    mutating func upsert(_ key: EntryKey, _ value: Value, changeDetector: ChangeDetector<Value>) -> AppliedWrite {
        guard let slot = entries.slot(of: key) else {
            write(Entry(value: value, version: 1), for: key, atSlot: nil, cause: .write)
            return AppliedWrite(result: .created, version: 1)
        }
        let stored = entries.entry(atSlot: slot)
        if changeDetector.isEquivalent(stored.value, value) {
            return AppliedWrite(result: .unchanged, version: stored.version)
        }
        let version = stored.version &+ 1
        write(Entry(value: value, version: version), for: key, atSlot: slot, cause: .write)
        return AppliedWrite(result: .updated, version: version)
    }

    /// A write whose version was decided elsewhere (a row loaded at open, a change made by
    /// another process): stored at exactly `version`, never skipped, published with `cause`.
    @inlinable
    mutating func upsert(_ key: EntryKey, _ value: Value, version: UInt64, cause: EventCause) -> SetResult {
        let slot = entries.slot(of: key)
        write(Entry(value: value, version: version), for: key, atSlot: slot, cause: cause)
        return slot == nil ? .created : .updated
    }

    /// Stores `entry` under `key`, which is in `slot` when non-nil and absent when nil, and
    /// publishes the `.create` or `.update` event. The one place an entry is inserted or replaced.
    @inlinable @inline(__always)
    mutating func write(_ entry: Entry<Value>, for key: EntryKey, atSlot slot: Int?, cause: EventCause) {
        if let slot {
            entries.replaceEntry(atSlot: slot, with: entry)
            hub?.publish(key: key.key, type: .update, value: entry.value, cause: cause)
        } else {
            entries.insertNew(key, entry)
            hub?.publish(key: key.key, type: .create, value: entry.value, cause: cause)
        }
    }

    /// Removes the entry under `key` and publishes its `.delete` event with `cause`; returns the
    /// removed entry, or nil when absent. The one place a single entry is removed.
    @inlinable
    mutating func remove(_ key: EntryKey, cause: EventCause) -> Entry<Value>? {
        guard let removed = entries.remove(key) else { return nil }
        hub?.publish(key: key.key, type: .delete, value: removed.value, cause: cause)
        return removed
    }

    /// Drops every entry without events (the store is closing: its watches end instead).
    mutating func removeAll() {
        entries = EntryTable()
    }
}
