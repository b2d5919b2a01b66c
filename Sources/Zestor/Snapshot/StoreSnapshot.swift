/// A point-in-time view of every kind of a store, taken at one instant across all of them
/// (``MemoryStore/snapshot()``): the ``Snapshot`` of each kind that had entries.
public struct StoreSnapshot<Value: Sendable>: Sendable {
    @usableFromInline let snapshots: [String: Snapshot<Value>]

    @inlinable
    init(_ snapshots: [String: Snapshot<Value>]) {
        self.snapshots = snapshots
    }

    /// The kinds that had entries, in ascending order.
    public var kinds: [String] { snapshots.keys.sorted() }

    /// The snapshot of `kind`; empty when it had no entries.
    @inlinable
    public subscript(kind: String) -> Snapshot<Value> {
        snapshots[kind] ?? Snapshot(kind: kind, tables: [])
    }

    /// Every entry by kind and key, as ``Store/getAll()`` returns them.
    @inlinable
    public var dictionary: [String: [String: Value]] {
        snapshots.mapValues(\.dictionary)
    }
}
