/// Secondary indexes of a `DurableStore`: the engine's, over what memory holds (see
/// ``MemoryStore/createIndex(_:_:unique:key:)`` and the queries of ``IndexedStore``).
///
/// Indexes live in memory only: their key functions are code, so a store opened again creates
/// them again (each is built from the loaded entries at once). Every change memory takes keeps
/// them: this store's writes, the load at open, and the changes other processes commit (the
/// PostgreSQL change feed, reconciliations). A unique index reserves a write's index keys before
/// its commit (write-through) or record (write-behind), so a conflicting write throws
/// ``StoreError/uniqueIndexViolation(kind:index:key:conflictingKey:indexKey:)`` and stores
/// nothing; a change another process committed is applied as the storage holds it, and a
/// uniqueness conflict it brings is logged (the database is the truth). A write already under
/// way while `createIndex` of a unique index runs is not checked against it.
extension DurableStore: IndexedStore {
    @inlinable
    @discardableResult
    public func createIndex<Key: Comparable & Hashable & Sendable>(
        _ kind: String, _ name: String, unique: Bool = false, key: @escaping @Sendable (Value) -> Key?
    ) throws -> Index<Value, Key> {
        try checkOpen()
        return try engine.createIndex(kind, name, unique: unique, key: key)
    }

    public func dropIndex(_ kind: String, _ name: String) throws {
        try checkOpen()
        try engine.dropIndex(kind, name)
    }

    /// Drops the index `index` is a handle to.
    public func dropIndex<Key>(_ index: Index<Value, Key>) throws {
        try dropIndex(index.kind, index.name)
    }

    public func indexes(_ kind: String) throws -> [IndexDescription] {
        try checkOpen()
        return try engine.indexes(kind)
    }

    @inlinable
    public func lookup<Key>(_ index: Index<Value, Key>, equals key: Key) throws -> [KeyValue<Value>] {
        try checkOpen()
        return try engine.lookup(index, equals: key)
    }

    @inlinable
    public func range<Key>(_ index: Index<Value, Key>, _ bounds: some IndexBoundsExpression<Key>,
                           limit: Int? = nil, reverse: Bool = false) throws -> [KeyValue<Value>] {
        try checkOpen()
        return try engine.range(index, bounds, limit: limit, reverse: reverse)
    }

    @inlinable
    public func count<Key>(_ index: Index<Value, Key>, _ bounds: some IndexBoundsExpression<Key>) throws -> Int {
        try checkOpen()
        return try engine.count(index, bounds)
    }

    /// The number of entries whose index key equals `key`.
    @inlinable
    public func count<Key>(_ index: Index<Value, Key>, equals key: Key) throws -> Int {
        try checkOpen()
        return try engine.count(index, equals: key)
    }

    /// Logs the uniqueness conflict applying `value` (a change another process committed) to
    /// `kind`/`key` brings, if any; the change is applied all the same.
    func logUniqueConflict(_ kind: String, _ key: String, _ value: Value) {
        guard let conflict = engine.uniqueConflict(kind, key, value) else { return }
        logger.warning("a change another process committed breaks a unique index; applied as the storage holds it",
                       metadata: ["kind": "\(kind)", "key": "\(key)", "index": "\(conflict.index)",
                                  "conflictingKey": "\(conflict.owner)"])
    }
}
