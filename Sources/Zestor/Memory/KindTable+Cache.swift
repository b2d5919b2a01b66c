public import Synchronization

/// The cache side of the write funnel and of point reads, for tables whose ``KindTable/cache``
/// is non-nil: expiry checks, node bookkeeping, eviction and the removals the cache makes.
/// Functions that change anything need the shard's lock exclusively; ``lookup(_:in:cache:)``
/// needs it shared.
extension KindTable {
    // MARK: Reads

    /// The live entry under `key`, or nil, in a table whose ``cache`` is non-nil, given the
    /// table's entry storage and cache as unretained references (``MemoryStore/read(_:_:)`` reads
    /// other tables' entries directly): counts the hit or miss and records the access for the
    /// eviction policy. Caller holds the shard's lock (shared is enough). Safe because the caller's table, read in place under the
    /// shard's lock, holds both references for the whole call and nothing here can release them
    /// (the idiom of `EntryTable`'s subscript).
    @inlinable @inline(__always)
    static func lookup(_ key: EntryKey, in entries: Unmanaged<EntryTableStorage<Value>>?,
                       cache: Unmanaged<KindCache<Value>>) -> Entry<Value>? {
        cache._withUnsafeGuaranteedRef { cache in
            guard let entries else {
                cache.counters.misses.wrappingAdd(1, ordering: .relaxed)
                return nil
            }
            return entries._withUnsafeGuaranteedRef { storage in
                guard let slot = storage.slot(of: key) else {
                    cache.counters.misses.wrappingAdd(1, ordering: .relaxed)
                    return nil
                }
                let node = storage.node(at: slot)
                if node != 0 {
                    // Only a kind with expiring entries reads the node's deadline (and the clock).
                    if !cache.heap.isEmpty {
                        let deadline = cache.deadline(of: node)
                        if deadline != 0 && cache.clock.hasPassed(deadline) {
                            cache.counters.misses.wrappingAdd(1, ordering: .relaxed)
                            return nil
                        }
                    }
                    cache.recordAccess(node)
                }
                cache.counters.hits.wrappingAdd(1, ordering: .relaxed)
                return storage.entry(at: slot)
            }
        }
    }

    /// The node ids of the entries that have expired at the cache clock's current reading but
    /// are not swept yet: what a snapshot taken now must leave out. Empty (and no clock read)
    /// when nothing in the table expires. Shared lock.
    @inlinable
    func expiredNodes() -> Set<UInt32> {
        guard let cache, !cache.heap.isEmpty else { return [] }
        var expired: Set<UInt32> = []
        cache.forEachExpired(at: cache.clock.monotonicNanoseconds) { expired.insert($0) }
        return expired
    }

    /// The number of live entries (excluding the expired, not yet swept). Shared lock.
    @inlinable
    func liveCount() -> Int {
        guard let cache, !cache.heap.isEmpty else { return entries.count }
        return entries.count - cache.expiredCount(at: cache.clock.monotonicNanoseconds)
    }

    // MARK: The write funnel's cache steps

    @inlinable
    mutating func liveCachedSlot(_ slot: Int, of key: EntryKey) -> Int? {
        let node = entries.node(atSlot: slot)
        guard node != 0, let cache else { return slot }
        let deadline = cache.deadline(of: node)
        guard deadline != 0, cache.clock.hasPassed(deadline) else { return slot }
        removeNode(node, of: key, cause: .expired)
        return nil
    }

    /// The node of a new entry (0: none), evicting first when the share is full (an expired
    /// entry if there is one, else the policy's victim). The key's load in flight, if any, is
    /// abandoned: this write wins over it.
    @inlinable
    mutating func cacheWillInsert(_ key: EntryKey, expiry: ExpiryChange) -> UInt32 {
        abandonLoad(of: key)
        let deadline: Int64
        if case .deadline(let value) = expiry { deadline = value } else { deadline = 0 }
        guard cache.unsafelyUnwrapped.policy != nil else {
            return deadline == 0 ? 0 : cache!.allocateNode(for: key, deadline: deadline)
        }
        let full = cache.unsafelyUnwrapped.isFull(entryCount: entries.count)
        if full { evictOne() }
        let node = cache!.allocateNode(for: key, deadline: deadline)
        cache!.admit(node, filling: !full)
        return node
    }

    /// Applies `expiry` to the replaced entry in `slot` and records the write as an access.
    @inlinable
    mutating func cacheDidReplace(_ key: EntryKey, atSlot slot: Int, expiry: ExpiryChange) {
        abandonLoad(of: key)
        applyExpiry(expiry, to: key, atSlot: slot)
        let node = entries.node(atSlot: slot)
        if node != 0 { cache.unsafelyUnwrapped.recordAccess(node) }
    }

    /// Gives the entry in `slot` the deadline of `expiry`, creating or freeing its node in an
    /// unbounded kind (where only expiring entries have one).
    @inlinable
    mutating func applyExpiry(_ expiry: ExpiryChange, to key: EntryKey, atSlot slot: Int) {
        guard case .deadline(let deadline) = expiry else { return }
        let node = entries.node(atSlot: slot)
        if node != 0 {
            if deadline == 0 && cache.unsafelyUnwrapped.policy == nil {
                cache!.releaseNode(node)
                entries.setNode(0, atSlot: slot)
            } else {
                cache!.setDeadline(of: node, to: deadline)
            }
        } else if deadline != 0 {
            entries.setNode(cache!.allocateNode(for: key, deadline: deadline), atSlot: slot)
        }
    }

    @inlinable
    mutating func removeCached(_ key: EntryKey, cause: EventCause) -> Entry<Value>? {
        guard let (slot, node) = entries.slotAndNode(of: key) else { return nil }
        if node == 0 {
            abandonLoad(of: key)
            let removed = entries.remove(key)
            if indexes != nil { indexesDidRemove(key, removed.unsafelyUnwrapped.value) }
            hub?.publish(key: key.key, type: .delete, value: removed.unsafelyUnwrapped.value, cause: cause)
            return removed
        }
        let expired = liveCachedSlot(slot, of: key) == nil
        if expired { return nil }
        return removeNode(node, of: key, cause: cause)
    }

    /// Removes the entry of node `id` (under `key`) with its `.delete` event and frees the node;
    /// expirations and evictions are counted.
    @inlinable
    @discardableResult
    mutating func removeNode(_ id: UInt32, of key: EntryKey, cause: EventCause) -> Entry<Value> {
        abandonLoad(of: key)
        let removed = entries.remove(key).unsafelyUnwrapped
        if indexes != nil { indexesDidRemove(key, removed.value) }
        cache!.releaseNode(id)
        switch cause {
        case .expired:
            cache.unsafelyUnwrapped.counters.expirations.wrappingAdd(1, ordering: .relaxed)
            cache.unsafelyUnwrapped.removals?(kind, key.key, removed.version)
        case .evicted:
            cache.unsafelyUnwrapped.counters.evictions.wrappingAdd(1, ordering: .relaxed)
            cache.unsafelyUnwrapped.removals?(kind, key.key, removed.version)
        default: break
        }
        hub?.publish(key: key.key, type: .delete, value: removed.value, cause: cause)
        return removed
    }

    /// Makes room for one entry in a full share: removes an expired entry if there is one
    /// (cause ``EventCause/expired``), else the policy's victim (cause ``EventCause/evicted``).
    @inlinable
    mutating func evictOne() {
        if !cache.unsafelyUnwrapped.heap.isEmpty,
           let expired = cache!.firstExpired(at: cache.unsafelyUnwrapped.clock.monotonicNanoseconds) {
            removeNode(expired, of: cache!.key(of: expired), cause: .expired)
            return
        }
        let victim = cache!.chooseVictim()
        removeNode(victim, of: cache!.key(of: victim), cause: .evicted)
    }

    /// Removes up to `limit` entries expired at `now`, earliest first; returns how many.
    @inlinable
    mutating func sweepExpired(at now: Int64, limit: Int) -> Int {
        var removed = 0
        while removed < limit, let expired = cache?.firstExpired(at: now) {
            removeNode(expired, of: cache!.key(of: expired), cause: .expired)
            removed += 1
        }
        return removed
    }

    /// Forgets the load in flight for `key`, if any, and that its last load found nothing: a
    /// write to the key wins over both.
    @inlinable @inline(__always)
    mutating func abandonLoad(of key: EntryKey) {
        if !cache.unsafelyUnwrapped.loads.isEmpty { cache!.loads[key] = nil }
        if !cache.unsafelyUnwrapped.absent.isEmpty { cache!.absent[key] = nil }
    }
}
