/// One index of one kind in one shard: the shard's entries of the kind ordered by (index key,
/// entry key). Queries of all shards merge these runs (``MemoryStore`` `+IndexQueries`), so
/// writers on different shards never share an index structure or its lock.
///
/// Layout: per index key, its entry keys ascending (`buckets`); and the index keys that have a
/// bucket, ascending (`sortedKeys`, binary-searched). A bucket that empties stays as a tombstone
/// (queries skip it), so an entry moving between index keys already seen costs two binary
/// searches and two small array edits, no reordering of `sortedKeys`; tombstones are dropped
/// once they outnumber the live keys twice over (amortized O(1) per removal). A key seen for the
/// first time is inserted into `sortedKeys`: O(distinct keys in the shard), one `memmove`. An
/// entry whose key function gives `nil` is not in the index.
///
/// Guarded by the owning shard's lock: read under shared, written under exclusive (the write
/// funnel of ``KindTable``). Its methods are `@inlinable` and reached through closures made
/// where the index is created (``AnyShardIndex``), so they run specialized for the value and
/// key types.
@usableFromInline
final class ShardIndex<Value: Sendable, Key: Comparable & Hashable & Sendable>: @unchecked Sendable {
    // @unchecked: every stored property but `definition` is accessed only under the owning
    // shard's lock (exclusive for writes), as the type's documentation says. The same lock
    // rules out overlapping accesses, so the dynamic exclusivity checks are off
    // (`@exclusivity(unchecked)`): they cost more than the edits they guard.
    @usableFromInline let definition: IndexDefinition<Value, Key>
    /// Entry keys (with their hashes, so queries read entries without hashing) by index key,
    /// each ascending by key; empty for a tombstone.
    @usableFromInline @exclusivity(unchecked) var buckets: [Key: [EntryKey]] = [:]
    /// The keys of `buckets`, ascending.
    @usableFromInline @exclusivity(unchecked) var sortedKeys: [Key] = []
    /// The number of empty buckets (tombstones).
    @usableFromInline @exclusivity(unchecked) var emptyBuckets = 0
    /// The number of entries in the index.
    @usableFromInline @exclusivity(unchecked) var entryCount = 0

    @inlinable
    init(_ definition: IndexDefinition<Value, Key>) {
        self.definition = definition
    }

    /// Adds `entry` under `key`.
    @inlinable
    func add(_ entry: EntryKey, at key: Key) {
        if let bucket = buckets.index(forKey: key) {
            if buckets.values[bucket].isEmpty { emptyBuckets &-= 1 }
            let position = Self.insertionPoint(of: entry.key, in: buckets.values[bucket])
            buckets.values[bucket].insert(entry, at: position)
        } else {
            buckets[key] = [entry]
            sortedKeys.insert(key, at: Self.insertionPoint(of: key, in: sortedKeys))
        }
        entryCount &+= 1
    }

    /// Removes `entry` from under `key`, if it is there.
    @inlinable
    func remove(_ entry: EntryKey, at key: Key) {
        guard let bucket = buckets.index(forKey: key) else { return }
        let position = Self.insertionPoint(of: entry.key, in: buckets.values[bucket])
        guard position < buckets.values[bucket].count, buckets.values[bucket][position].key == entry.key else { return }
        buckets.values[bucket].remove(at: position)
        entryCount &-= 1
        if buckets.values[bucket].isEmpty {
            emptyBuckets &+= 1
            if emptyBuckets > 64 && emptyBuckets > 2 * (buckets.count - emptyBuckets) { dropTombstones() }
        }
    }

    /// Drops the empty buckets.
    @usableFromInline
    func dropTombstones() {
        buckets = buckets.filter { !$0.value.isEmpty }
        sortedKeys.removeAll { buckets[$0] == nil }
        emptyBuckets = 0
    }

    /// The first position in the bucket `entries` (ascending by key) whose key is not below `key`.
    @inlinable
    static func insertionPoint(of key: String, in entries: [EntryKey]) -> Int {
        var low = 0, high = entries.count
        while low < high {
            let middle = (low &+ high) >> 1
            if entries[middle].key < key { low = middle &+ 1 } else { high = middle }
        }
        return low
    }

    /// The first position in the ascending `array` whose element is not below `element`.
    @inlinable
    static func insertionPoint<T: Comparable>(of element: T, in array: [T]) -> Int {
        var low = 0, high = array.count
        while low < high {
            let middle = (low &+ high) >> 1
            if array[middle] < element { low = middle &+ 1 } else { high = middle }
        }
        return low
    }

    /// The positions in `sortedKeys` of the keys within `bounds`.
    @inlinable
    func positions(within bounds: IndexBounds<Key>) -> Range<Int> {
        var low = 0, high = sortedKeys.count
        while low < high {  // the first key not below the bounds
            let middle = (low &+ high) >> 1
            if bounds.isBelow(sortedKeys[middle]) { low = middle &+ 1 } else { high = middle }
        }
        let start = low
        high = sortedKeys.count
        while low < high {  // the first key above the bounds
            let middle = (low &+ high) >> 1
            if bounds.isAbove(sortedKeys[middle]) { high = middle } else { low = middle &+ 1 }
        }
        return start..<low
    }

    // MARK: The write funnel

    /// Entry `key` now holds `value` (it held `previous`; nil: absent). Records the owner of a
    /// unique key; returns the entry a unique key was taken from, when another one held it.
    @inlinable
    func didStore(_ key: EntryKey, _ value: Value, previous: Value?) -> String? {
        let new = definition.key(value)
        let old = previous.flatMap(definition.key)
        if new == old {
            if let new, let owners = definition.owners { return owners.record(new, for: key.key) }
            return nil
        }
        if let old {
            remove(key, at: old)
            definition.owners?.release(old, of: key.key)
        }
        guard let new else { return nil }
        add(key, at: new)
        return definition.owners?.record(new, for: key.key)
    }

    /// Entry `key`, which held `value`, is gone.
    @inlinable
    func didRemove(_ key: EntryKey, _ value: Value) {
        guard let old = definition.key(value) else { return }
        remove(key, at: old)
        definition.owners?.release(old, of: key.key)
    }

    // MARK: Unique keys

    /// For a unique index: claims the index key `value` gives entry `key` (which held
    /// `previous`; nil: absent) unless another entry holds it, which throws
    /// ``StoreError/uniqueIndexViolation(kind:index:key:conflictingKey:indexKey:)``. Returns a
    /// function giving back a newly claimed key (for a write that does not happen after all).
    @usableFromInline
    func claim(_ key: String, _ value: Value, previous: Value?) throws -> (() -> Void)? {
        guard let owners = definition.owners, let new = definition.key(value),
              previous.flatMap(definition.key) != new else { return nil }
        let (conflict, newlyClaimed) = owners.claim(new, for: key)
        if let conflict {
            throw StoreError.uniqueIndexViolation(kind: definition.kind, index: definition.name, key: key,
                                                  conflictingKey: conflict, indexKey: "\(new)")
        }
        return newlyClaimed ? { owners.release(new, of: key) } : nil
    }

    /// For a unique index: claims, all or nothing, the index keys the entries of one atomic write
    /// take, freeing the ones they give up; throws like ``claim(_:_:previous:)``. Returns a
    /// function undoing the claims.
    @usableFromInline
    func claimAll(_ changes: [(key: String, value: Value, previous: Value?)]) throws -> (() -> Void)? {
        guard let owners = definition.owners else { return nil }
        var claims: [(key: Key, entry: String)] = [], released: [(key: Key, entry: String)] = []
        for change in changes {
            let new = definition.key(change.value), old = change.previous.flatMap(definition.key)
            if let new { claims.append((new, change.key)) }
            if let old, old != new { released.append((old, change.key)) }
        }
        switch owners.claimAll(claims, releasing: released) {
        case .success(let undo): return undo
        case .failure(let conflict):
            throw StoreError.uniqueIndexViolation(kind: definition.kind, index: definition.name, key: conflict.entry,
                                                  conflictingKey: conflict.owner, indexKey: "\(conflict.key)")
        }
    }

    /// For a unique index: frees the key `value` gives entry `key` unless `current` (its value
    /// now) gives the same one.
    @usableFromInline
    func releaseReservation(_ key: String, _ value: Value, current: Value?) {
        guard let owners = definition.owners, let reserved = definition.key(value),
              current.flatMap(definition.key) != reserved else { return }
        owners.release(reserved, of: key)
    }

    /// The entry other than `key` that holds the unique index key `value` gives, if any.
    @usableFromInline
    func conflict(of key: String, _ value: Value) -> String? {
        guard let owners = definition.owners, let new = definition.key(value),
              let owner = owners.owner(of: new), owner != key else { return nil }
        return owner
    }
}
