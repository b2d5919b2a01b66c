/// A ``Store`` that takes consistent point-in-time views of its kinds without copying entries.
///
/// Every implementation honours the same semantics (pinned by `ZestorConformance`): a snapshot
/// holds exactly the live entries of the instant it was taken — consistent across shards, as a
/// `setMany` is either wholly in it or not at all — and no later write, delete or expiry changes
/// it.
public protocol SnapshotStore<Value>: Store {
    /// A point-in-time view of `kind`, taken in O(number of shards).
    nonisolated(nonsending) func snapshot(_ kind: String) async throws -> Snapshot<Value>
    /// A point-in-time view of every kind, taken at one instant.
    nonisolated(nonsending) func snapshot() async throws -> StoreSnapshot<Value>
}

extension MemoryStore: SnapshotStore {
    /// A point-in-time view of `kind`: O(number of shards) under all shard locks, no entry
    /// copied; iterate it without any lock (see ``Snapshot``). Empty for an unknown kind.
    @inlinable
    public func snapshot(_ kind: String) throws -> Snapshot<Value> {
        Snapshot(kind: kind, tables: try snapshot(of: kind))
    }

    /// A point-in-time view of every kind, taken under all shard locks at once.
    @inlinable
    public func snapshot() throws -> StoreSnapshot<Value> {
        try checkUsable()
        lockAll(exclusive: false)
        let copies = shards.map { shard in
            shard.tables.filter { !$0.entries.isEmpty }.map { TableSnapshot(kind: $0.kind, table: $0) }
        }
        unlockAll()
        var byKind: [String: [TableSnapshot<Value>]] = [:]
        for tables in copies {
            for table in tables { byKind[table.kind, default: []].append(table) }
        }
        return StoreSnapshot(byKind.compactMapValues { tables in
            let snapshot = Snapshot(kind: tables[0].kind, tables: tables)
            return snapshot.isEmpty ? nil : snapshot
        })
    }
}

extension DurableStore: SnapshotStore {
    /// A point-in-time view of `kind` (see ``MemoryStore/snapshot(_:)``) of what this store's
    /// memory holds: in write-behind mode, acknowledged writes not yet flushed included.
    public func snapshot(_ kind: String) throws -> Snapshot<Value> {
        try checkOpen()
        return try engine.snapshot(kind)
    }

    /// A point-in-time view of every kind (see ``MemoryStore/snapshot()``).
    public func snapshot() throws -> StoreSnapshot<Value> {
        try checkOpen()
        return try engine.snapshot()
    }
}
