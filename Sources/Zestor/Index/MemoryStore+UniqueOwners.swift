import Synchronization

extension MemoryStore {
    /// Runs the local write `body`; when it throws ``StoreError/uniqueIndexViolation(kind:index:key:conflictingKey:indexKey:)``
    /// because the entry holding the index key has expired (not swept yet), removes that entry
    /// as expired and runs `body` again. (An expired entry keeps its unique keys until it is
    /// removed; its removal needs its own shard's lock, which the write cannot take while it
    /// holds its own.) `update` may so run its transform more than once.
    @inlinable
    func purgingExpiredOwners<Result>(_ kind: String, _ body: () throws -> Result) throws -> Result {
        var purged = 0
        while true {
            do {
                return try body()
            } catch StoreError.uniqueIndexViolation(_, _, _, let owner, _) where purged < Self.maximumOwnerPurges
                        && removeIfExpired(kind, owner) {
                purged += 1
            }
        }
    }

    /// The cold path of a local write that threw `error`: when it is a unique index violation
    /// whose holder has expired, removes that entry and runs the write (`body`) again (see
    /// ``purgingExpiredOwners(_:_:)``); otherwise rethrows `error`.
    @usableFromInline
    func retrying<Result>(after error: StoreError, _ kind: String, _ body: () throws -> Result) throws -> Result {
        guard case .uniqueIndexViolation(_, _, _, let owner, _) = error, removeIfExpired(kind, owner) else { throw error }
        return try purgingExpiredOwners(kind, body)
    }

    /// How many expired holders of unique keys one write removes before it reports a violation.
    @usableFromInline static var maximumOwnerPurges: Int { 16 }

    /// Removes the entry of `key` if it has expired (with its `.delete` event, cause
    /// ``EventCause/expired``); returns whether it did.
    @usableFromInline
    func removeIfExpired(_ kind: String, _ key: String) -> Bool {
        let entryKey = EntryKey(key: key)
        return (try? mutate(kind, entryKey) { table in
            table.entries.slot(of: entryKey) != nil && table.liveSlot(of: entryKey) == nil
        }) ?? false
    }

    /// For an atomic write of `items` (ascending by key) with the shards of `keys` (their entry
    /// keys) locked: claims, all or nothing, the unique index keys the values that change take
    /// (throwing before anything is written). Returns a function undoing the claims; nil when
    /// the kind has no unique index.
    func claimUniqueKeys(_ kind: String, _ items: [(key: String, value: Value)], _ keys: [EntryKey],
                         _ shardOf: (EntryKey) -> Shard<Value>) throws -> (() -> Void)? {
        guard let first = keys.first, let table = shardOf(first).index(of: kind),
              shardOf(first).tables[table].hasUniqueIndex else { return nil }
        var changes: [(key: String, value: Value, previous: Value?)] = []
        for (item, entryKey) in zip(items, keys) {
            let shard = shardOf(entryKey)
            let index = shard.indexCreatingTable(for: kind)
            let previous = shard.tables[index].liveSlot(of: entryKey).map { shard.tables[index].entries.entry(atSlot: $0).value }
            if let previous, isEquivalent(previous, item.value) { continue }
            changes.append((item.key, item.value, previous))
        }
        return try shardOf(first).tables[table].claimUniqueKeys(changes)
    }

    // MARK: Reservations of `DurableStore`

    /// Reserves the keys `value` takes in `kind`'s unique indexes for `key`, before a durable
    /// write commits or records it (whose apply later finds them its own); throws
    /// ``StoreError/uniqueIndexViolation(kind:index:key:conflictingKey:indexKey:)`` when another
    /// entry holds one. A write that fails afterwards gives the reservation back with
    /// ``releaseUniqueReservation(_:_:_:)``. Free (no lock) while the store has no unique index.
    func reserveUniqueKeys(_ kind: String, _ key: String, _ value: Value) throws {
        guard uniqueIndexCount.load(ordering: .acquiring) > 0 else { return }
        let entryKey = EntryKey(key: key)
        try purgingExpiredOwners(kind) {
            try mutate(kind, entryKey) { table in
                if table.indexes != nil { _ = try table.claimUniqueKeys(for: entryKey, value) }
            }
        }
    }

    /// ``reserveUniqueKeys(_:_:_:)`` for the keys of one atomic write (`setMany`); returns a
    /// function undoing the reservation if nothing of the write happens.
    func reserveUniqueKeys(_ kind: String, _ items: [(key: String, value: Value)]) throws -> (() -> Void)? {
        guard uniqueIndexCount.load(ordering: .acquiring) > 0 else { return nil }
        let sorted = items.sorted { $0.key < $1.key }
        return try purgingExpiredOwners(kind) {
            try withShardsLocked(of: sorted.map { EntryKey(key: $0.key) }) { shardOf, keys in
                try claimUniqueKeys(kind, sorted, keys, shardOf)
            }
        }
    }

    /// Gives back what ``reserveUniqueKeys(_:_:_:)`` reserved for a write of `value` to `key`
    /// that did not happen (another store won the key): the unique index keys `value` gives that
    /// the key's current value does not.
    func releaseUniqueReservation(_ kind: String, _ key: String, _ value: Value) {
        guard uniqueIndexCount.load(ordering: .acquiring) > 0 else { return }
        let entryKey = EntryKey(key: key)
        _ = try? mutate(kind, entryKey) { table in
            guard let indexes = table.indexes else { return }
            let current = table.liveSlot(of: entryKey).map { table.entries.entry(atSlot: $0).value }
            for index in indexes where index.isUnique { index.releaseReservation(key, value, current) }
        }
    }

    /// The entry other than `key` that holds a key `value` takes in `kind`'s unique indexes, with
    /// the index's name: what applying a change another process committed would take from it.
    func uniqueConflict(_ kind: String, _ key: String, _ value: Value) -> (index: String, owner: String)? {
        guard uniqueIndexCount.load(ordering: .acquiring) > 0 else { return nil }
        let shard = shard(for: EntryKey(key: key).hash)
        shard.lockShared()
        defer { shard.unlock() }
        guard let table = shard.index(of: kind), let indexes = shard.tables[table].indexes else { return nil }
        for index in indexes {
            if let owner = index.conflict(key, value) { return (index.name, owner) }
        }
        return nil
    }
}
