extension MemoryStore {
    /// Stores `value`; reports whether the key was created, updated, or left unchanged.
    /// The kind's validator runs first; its error is rethrown and nothing is written.
    @inlinable
    @discardableResult
    public func set(_ kind: String, _ key: String, _ value: Value) throws -> SetResult {
        try set(kind, key, value, expiration: .kindDefault)
    }

    /// Stores `value` expiring as `expiration` says (replacing the entry's expiry, also when the
    /// value is unchanged); reports whether the key was created, updated, or left unchanged.
    /// Throws ``StoreError/outOfRange(parameter:value:requirement:)`` for a duration that is not
    /// positive; the kind's validator runs first; on either error nothing is written.
    @inlinable
    @discardableResult
    public func set(_ kind: String, _ key: String, _ value: Value, expiration: Expiration) throws -> SetResult {
        try checkWritable(kind)
        try check(expiration)
        try validate(kind, value)
        do {
            return try store(kind, key, value, expiration: expiration).result
        } catch let error as StoreError {
            return try retrying(after: error, kind) { try store(kind, key, value, expiration: expiration).result }
        }
    }

    /// The body of `set` after its checks: returns the result and the version applied. Throws
    /// only ``StoreError/closed``. (`DurableStore` reaches it through `applyCommitted` for
    /// changes already committed.)
    @inlinable
    @discardableResult
    func store(_ kind: String, _ key: String, _ value: Value, expiration: Expiration = .kindDefault) throws -> AppliedWrite {
        let entryKey = EntryKey(key: key)
        return try mutate(kind, entryKey) { table in
            if table.indexes != nil { return try storeClaimingUniqueKeys(in: &table, entryKey, value, expiration) }
            let expiry = resolve(expiration, in: &table)
            return table.upsert(entryKey, value, changeDetector: changeDetector, expiry: expiry)
        }
    }

    /// `store`'s body for a kind with indexes: claims the value's unique index keys first, and
    /// gives them back when the value turns out unchanged.
    @inlinable
    func storeClaimingUniqueKeys(in table: inout KindTable<Value>, _ entryKey: EntryKey, _ value: Value,
                                 _ expiration: Expiration) throws -> AppliedWrite {
        let giveBack = try table.claimUniqueKeys(for: entryKey, value)
        let expiry = resolve(expiration, in: &table)
        let applied = table.upsert(entryKey, value, changeDetector: changeDetector, expiry: expiry)
        if applied.result == .unchanged { giveBack?() }
        return applied
    }

    /// Atomically transforms the stored value: `transform` runs under the key's stripe lock.
    /// Throws ``StoreError/keyNotFound(kind:key:)`` when absent; rethrows the transform's or the
    /// validator's error and then stores nothing. Returns whether the stored value changed.
    /// The entry keeps its expiry.
    @inlinable
    @discardableResult
    public func update(_ kind: String, _ key: String, _ transform: (inout Value) throws -> Void) throws -> Bool {
        try update(kind, key, expiration: nil, transform)
    }

    /// `update` that also gives the entry `expiration` when it is non-nil (`nil`: the entry keeps
    /// its expiry). An unchanged value still takes the new expiration.
    @inlinable
    @discardableResult
    public func update(_ kind: String, _ key: String, expiration: Expiration?,
                       _ transform: (inout Value) throws -> Void) throws -> Bool {
        try checkWritable(kind)
        if let expiration { try check(expiration) }
        let entryKey = EntryKey(key: key)
        return try purgingExpiredOwners(kind) { try mutate(kind, entryKey) { table in
            guard let slot = table.liveSlot(of: entryKey) else {
                throw StoreError.keyNotFound(kind: kind, key: key)
            }
            let stored = table.entries.entry(atSlot: slot)
            var value = stored.value
            try transform(&value)
            try validate(kind, value)
            let expiry = expiration.map { resolve($0, in: &table) } ?? .keep
            if isEquivalent(stored.value, value) {
                if table.cache != nil { table.applyExpiry(expiry, to: entryKey, atSlot: slot) }
                return false
            }
            if table.indexes != nil { _ = try table.claimUniqueKeys(key, value, previous: stored.value) }
            table.write(Entry(value: value, version: stored.version &+ 1), for: entryKey, atSlot: slot,
                        expiry: expiry, cause: .write)
            return true
        } }
    }

    /// Merges `values` into `kind` atomically with respect to readers and watchers: keys absent
    /// from `values` are left alone, unchanged keys are skipped, events are emitted in key order.
    /// Every value is validated first; one failure rejects the whole call and nothing is written.
    public func setMany(_ kind: String, _ values: [String: Value]) throws {
        try setMany(kind, values, expiration: .kindDefault)
    }

    /// `setMany` giving every key written (changed or not) `expiration`.
    public func setMany(_ kind: String, _ values: [String: Value], expiration: Expiration) throws {
        try checkWritable(kind)
        try check(expiration)
        if values.isEmpty { return }
        for value in values.values { try validate(kind, value) }
        let items = values.map { (key: $0.key, value: $0.value) }
        _ = try purgingExpiredOwners(kind) { try storeMany(kind, items, expiration: expiration) }
    }

    /// The body of `setMany` after its checks: locks the shards involved (in index order) and
    /// applies in key order, so readers and watchers see all or nothing. Returns what happened to
    /// each key, in ascending key order (whatever the order of `values`). Throws only
    /// ``StoreError/closed``. (`DurableStore` reaches it through `applyCommitted` for changes
    /// already committed.)
    @discardableResult
    func storeMany(_ kind: String, _ values: [(key: String, value: Value)],
                   expiration: Expiration = .kindDefault) throws -> [AppliedWrite] {
        let sorted = values.sorted { $0.key < $1.key }
        return try withShardsLocked(of: sorted.map { EntryKey(key: $0.key) }) { shardOf, keys in
            _ = try claimUniqueKeys(kind, sorted, keys, shardOf)
            var applied: [AppliedWrite] = []
            applied.reserveCapacity(sorted.count)
            for (item, entryKey) in zip(sorted, keys) {
                let shard = shardOf(entryKey)
                let table = shard.indexCreatingTable(for: kind)
                let expiry = resolve(expiration, in: &shard.tables[table])
                applied.append(shard.tables[table].upsert(entryKey, item.value, changeDetector: changeDetector,
                                                          expiry: expiry))
            }
            return applied
        }
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
        let entryKey = EntryKey(key: key)
        return try mutate(kind, entryKey) { table in table.remove(entryKey, cause: cause)?.value }
    }

    /// Stores `value` only if the key's current version is `expectedVersion` (`nil`: the key must
    /// be absent). Returns the new version; throws ``StoreError/versionConflict(kind:key:expected:actual:)``
    /// otherwise. An equivalent value leaves the version unchanged and emits nothing.
    @discardableResult
    public func compareAndSet(_ kind: String, _ key: String, _ value: Value, expectedVersion: UInt64?) throws -> UInt64 {
        try compareAndSet(kind, key, value, expectedVersion: expectedVersion, expiration: .kindDefault)
    }

    /// `compareAndSet` giving the entry `expiration` when it succeeds. An expired entry counts
    /// as absent.
    @discardableResult
    public func compareAndSet(_ kind: String, _ key: String, _ value: Value, expectedVersion: UInt64?,
                              expiration: Expiration) throws -> UInt64 {
        try checkWritable(kind)
        try check(expiration)
        try validate(kind, value)
        let entryKey = EntryKey(key: key)
        return try purgingExpiredOwners(kind) { try mutate(kind, entryKey) { table in
            let actual = table.liveSlot(of: entryKey).map { table.entries.entry(atSlot: $0).version }
            guard actual == expectedVersion else {
                throw StoreError.versionConflict(kind: kind, key: key, expected: expectedVersion, actual: actual)
            }
            let giveBack = table.indexes == nil ? nil : try table.claimUniqueKeys(for: entryKey, value)
            let expiry = resolve(expiration, in: &table)
            let applied = table.upsert(entryKey, value, changeDetector: changeDetector, expiry: expiry)
            if applied.result == .unchanged { giveBack?() }
            return applied.version
        } }
    }

    /// Removes the entry only if its current version is `expectedVersion` and returns the value it
    /// held; throws ``StoreError/versionConflict(kind:key:expected:actual:)`` otherwise (`actual`
    /// is `nil` when the key is absent or expired) and removes nothing.
    @discardableResult
    public func compareAndDelete(_ kind: String, _ key: String, expectedVersion: UInt64) throws -> Value {
        try checkWritable(kind)
        let entryKey = EntryKey(key: key)
        return try mutate(kind, entryKey) { table in
            let actual = table.liveSlot(of: entryKey).map { table.entries.entry(atSlot: $0).version }
            guard actual == expectedVersion, let removed = table.remove(entryKey, cause: .write) else {
                throw StoreError.versionConflict(kind: kind, key: key, expected: expectedVersion, actual: actual)
            }
            return removed.value
        }
    }
}
