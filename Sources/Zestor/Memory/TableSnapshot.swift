/// A point-in-time copy of one kind's table in one shard, for whole-kind reads: the entries
/// (a copy-on-write copy, O(1)) and the nodes of the entries that had expired but were not swept
/// when it was taken, which every read of it leaves out. Taken under the shard's lock; read
/// without it.
@usableFromInline
struct TableSnapshot<Value: Sendable>: Sendable {
    @usableFromInline let kind: String
    @usableFromInline let entries: EntryTable<Value>
    @usableFromInline let expired: Set<UInt32>

    /// Copies `table` (caller holds its shard's lock, shared is enough).
    @inlinable
    init(kind: String, table: KindTable<Value>) {
        self.kind = kind
        entries = table.entries
        expired = table.cache == nil ? [] : table.expiredNodes()
    }

    /// The number of live entries.
    @inlinable
    var count: Int { entries.count - expired.count }

    /// The first live item at or after `slot`, advancing `slot` past it; nil at the end.
    @inlinable
    func nextLiveItem(from slot: inout Int) -> (key: String, entry: Entry<Value>)? {
        guard let storage = entries.storage else { return nil }
        return storage.withUnsafeMutablePointers { header, slots in
            let capacity = header.pointee.capacity
            while slot < capacity {
                let index = slot
                slot &+= 1
                if slots[index].hash != 0 && (expired.isEmpty || !expired.contains(slots[index].node)) {
                    return (slots[index].key, slots[index].entry.unsafelyUnwrapped)
                }
            }
            return nil
        }
    }

    /// Calls `body` with each live key and entry, in slot order.
    @inlinable
    func forEachEntry(_ body: (String, Entry<Value>) throws -> Void) rethrows {
        try entries.forEachEntry(skipping: expired, body)
    }
}
