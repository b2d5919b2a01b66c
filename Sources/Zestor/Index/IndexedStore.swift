/// A ``Store`` with secondary indexes: per-kind, defined by a key function over the value,
/// maintained by every write, queried by exact key, range, composite prefix and count.
///
/// Every implementation honours the same semantics (pinned by `ZestorConformance`):
/// - a query is one point in time consistent with `get`: an entry is in the result if and only
///   if its value at that instant gives an index key within the bounds (expired entries never);
/// - `lookup` results are in ascending key order; `range` results in ascending (index key, key)
///   order, descending with `reverse`, cut at `limit`;
/// - `createIndex` builds from the existing entries; an entry whose key function gives `nil` is
///   not in the index; every write path (set, update, setMany, delete, compare-and-set, expiry,
///   eviction, and for durable stores the load at open and other processes' changes) keeps it;
/// - a write that would give two entries the key of a unique index throws
///   ``StoreError/uniqueIndexViolation(kind:index:key:conflictingKey:indexKey:)`` and stores
///   nothing (`setMany`: nothing of the whole call);
/// - ``StoreError/indexExists(kind:index:)`` for a name taken, ``StoreError/indexNotFound(kind:index:)``
///   for a dropped or unknown index (a handle to a dropped index stays dead).
public protocol IndexedStore<Value>: Store {
    /// Creates the index `name` of `kind` (see ``MemoryStore/createIndex(_:_:unique:key:)``).
    @discardableResult
    nonisolated(nonsending) func createIndex<Key: Comparable & Hashable & Sendable>(
        _ kind: String, _ name: String, unique: Bool, key: @escaping @Sendable (Value) -> Key?
    ) async throws -> Index<Value, Key>
    /// Drops the index `name` of `kind`.
    nonisolated(nonsending) func dropIndex(_ kind: String, _ name: String) async throws
    /// The indexes of `kind`, by name.
    nonisolated(nonsending) func indexes(_ kind: String) async throws -> [IndexDescription]
    /// The entries whose index key equals `key`, in ascending key order.
    nonisolated(nonsending) func lookup<Key>(_ index: Index<Value, Key>, equals key: Key) async throws -> [KeyValue<Value>]
    /// The entries whose index key is within `bounds`, ordered by (index key, key), descending
    /// when `reverse`, at most `limit` (nil: all).
    nonisolated(nonsending) func range<Key>(_ index: Index<Value, Key>, _ bounds: some IndexBoundsExpression<Key>,
                                            limit: Int?, reverse: Bool) async throws -> [KeyValue<Value>]
    /// The number of entries whose index key is within `bounds`.
    nonisolated(nonsending) func count<Key>(_ index: Index<Value, Key>, _ bounds: some IndexBoundsExpression<Key>) async throws -> Int
}

extension MemoryStore: IndexedStore {}
