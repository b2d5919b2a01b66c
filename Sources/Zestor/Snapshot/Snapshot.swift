/// A point-in-time view of one kind: exactly the live entries the kind held when
/// ``MemoryStore/snapshot(_:)`` (or ``DurableStore/snapshot(_:)``) took it — no later write is
/// ever visible in it, and entries that had expired by then are left out.
///
/// Taking one costs O(number of shards): each shard's table of the kind is shared copy-on-write
/// under all shard locks at once, and no entry is copied. It holds no lock afterwards, so it
/// can be iterated (from any thread, any number of times) while writers go on. The price is
/// paid by the first write to each shard's table after the snapshot, which copies that shard's
/// part of the kind (its slots, not the values' heap storage), once per snapshot generation;
/// drop the snapshot when done with it.
///
/// Iteration order: shard by shard, each in table order — stable for one snapshot, unrelated
/// to key order (sort it, e.g. `snapshot.sorted { $0.key < $1.key }`, when order matters).
public struct Snapshot<Value: Sendable>: Sequence, Sendable {
    /// The kind the snapshot is of.
    public let kind: String
    /// The number of entries.
    public let count: Int
    @usableFromInline let tables: [TableSnapshot<Value>]

    @inlinable
    init(kind: String, tables: [TableSnapshot<Value>]) {
        self.kind = kind
        self.tables = tables
        count = tables.reduce(0) { $0 + $1.count }
    }

    /// Whether the kind had no entries.
    @inlinable
    public var isEmpty: Bool { count == 0 }

    @inlinable
    public var underestimatedCount: Int { count }

    @inlinable
    public func makeIterator() -> Iterator { Iterator(tables) }

    /// Calls `body` with every entry; faster than a `for` loop over the sequence (each table's
    /// slots are walked through one pointer).
    @inlinable
    public func forEach(_ body: (KeyValue<Value>) throws -> Void) rethrows {
        for table in tables {
            try table.forEachEntry { key, entry in try body(KeyValue(key: key, value: entry.value)) }
        }
    }

    /// The entries by key, as ``Store/list(_:)`` returns them.
    @inlinable
    public var dictionary: [String: Value] {
        var result = [String: Value](minimumCapacity: count)
        for table in tables {
            table.forEachEntry { key, entry in result[key] = entry.value }
        }
        return result
    }

    /// The keys, in iteration order.
    @inlinable
    public var keys: [String] {
        var keys: [String] = []
        keys.reserveCapacity(count)
        for table in tables {
            table.forEachEntry { key, _ in keys.append(key) }
        }
        return keys
    }

    /// Iterates the entries of a ``Snapshot``.
    public struct Iterator: IteratorProtocol {
        @usableFromInline let tables: [TableSnapshot<Value>]
        /// The table being walked (an index into `tables`) and its next slot.
        @usableFromInline var table = 0
        @usableFromInline var slot = 0

        @inlinable
        init(_ tables: [TableSnapshot<Value>]) {
            self.tables = tables
        }

        @inlinable
        public mutating func next() -> KeyValue<Value>? {
            while table < tables.count {
                if let item = tables[table].nextLiveItem(from: &slot) {
                    return KeyValue(key: item.key, value: item.entry.value)
                }
                table &+= 1
                slot = 0
            }
            return nil
        }
    }
}
