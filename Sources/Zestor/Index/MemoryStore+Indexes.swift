/// Creating, dropping and listing secondary indexes. Each takes every shard's lock exclusively
/// (in ascending order), so an index appears in, or leaves, all of a kind's shard tables at one
/// instant with respect to every reader and writer.
extension MemoryStore {
    /// Creates the index `name` of `kind`, built at once from the kind's entries and from then
    /// on maintained by every write: `key` gives an entry's index key, or `nil` to leave the
    /// entry out (a partial index). `key` must be a pure function of the value; it runs under a
    /// shard lock and must not call back into the store.
    ///
    /// With `unique`, no two entries may have the same index key: a write that would give one
    /// an index key another entry holds throws ``StoreError/uniqueIndexViolation(kind:index:key:conflictingKey:indexKey:)``
    /// and stores nothing.
    ///
    /// Throws ``StoreError/indexExists(kind:index:)`` when the kind has an index of that name,
    /// and ``StoreError/uniqueIndexViolation(kind:index:key:conflictingKey:indexKey:)`` when
    /// `unique` and two entries already share a key; then nothing is created.
    @inlinable
    @discardableResult
    public func createIndex<Key: Comparable & Hashable & Sendable>(
        _ kind: String, _ name: String, unique: Bool = false, key: @escaping @Sendable (Value) -> Key?
    ) throws -> Index<Value, Key> {
        try checkWritable(kind)
        let definition = IndexDefinition(kind: kind, name: name, unique: unique, key: key)
        // The shard indexes are made here, in code specialized for `Value` and `Key`.
        try install(kind: kind, name: name, unique: unique) { AnyShardIndex(ShardIndex(definition)) }
        return Index(definition)
    }

    /// `createIndex`'s body: under every shard lock, checks the name, builds one index per shard
    /// (`make`) from the entries — throwing, with nothing created, when a unique index finds a
    /// key held twice — and attaches them.
    @usableFromInline
    func install(kind: String, name: String, unique: Bool, make: () -> AnyShardIndex<Value>) throws {
        lockAll(exclusive: true)
        defer { unlockAll() }
        if isClosed { throw StoreError.closed }
        if describeIndexes(of: kind).contains(where: { $0.name == name }) {
            throw StoreError.indexExists(kind: kind, index: name)
        }
        var built: [AnyShardIndex<Value>] = []
        for shard in shards {
            let index = make()
            if let table = shard.index(of: kind) {
                var conflict: (key: String, owner: String)?
                shard.tables[table].entries.forEachEntry { entryKey, entry in
                    if conflict == nil, let owner = index.didStore(EntryKey(key: entryKey), entry.value, nil) { conflict = (entryKey, owner) }
                }
                if let conflict {
                    let indexKey = shard.tables[table].entries[EntryKey(key: conflict.key)].map { index.describeKey($0.value) } ?? ""
                    throw StoreError.uniqueIndexViolation(kind: kind, index: name, key: conflict.key,
                                                          conflictingKey: conflict.owner, indexKey: indexKey)
                }
            }
            built.append(index)
        }
        for (shard, index) in zip(shards, built) {
            let table = shard.indexCreatingTable(for: kind)
            shard.tables[table].indexes = (shard.tables[table].indexes ?? []) + [index]
        }
        if unique { uniqueIndexCount.wrappingAdd(1, ordering: .releasing) }
    }

    /// Drops the index `name` of `kind`; its handles stop working. Throws
    /// ``StoreError/indexNotFound(kind:index:)`` when there is none.
    public func dropIndex(_ kind: String, _ name: String) throws {
        try checkWritable(kind)
        lockAll(exclusive: true)
        defer { unlockAll() }
        if isClosed { throw StoreError.closed }
        guard let dropped = describeIndexes(of: kind).first(where: { $0.name == name }) else {
            throw StoreError.indexNotFound(kind: kind, index: name)
        }
        if dropped.isUnique { uniqueIndexCount.wrappingSubtract(1, ordering: .releasing) }
        for shard in shards {
            guard let table = shard.index(of: kind) else { continue }
            let remaining = shard.tables[table].indexes?.filter { $0.name != name } ?? []
            shard.tables[table].indexes = remaining.isEmpty ? nil : remaining
            if shard.tableIsUnused(at: table) { shard.removeTable(at: table) }
        }
    }

    /// Drops the index `index` is a handle to.
    public func dropIndex<Key>(_ index: Index<Value, Key>) throws {
        try dropIndex(index.kind, index.name)
    }

    /// The indexes of `kind`, by name.
    public func indexes(_ kind: String) throws -> [IndexDescription] {
        try checkUsable()
        lockAll(exclusive: false)
        defer { unlockAll() }
        return describeIndexes(of: kind)
    }

    /// The indexes of `kind` with their entry counts, by name. Caller holds every shard's lock.
    @usableFromInline
    func describeIndexes(of kind: String) -> [IndexDescription] {
        var found: [String: IndexDescription] = [:]
        for shard in shards {
            guard let table = shard.index(of: kind), let indexes = shard.tables[table].indexes else { continue }
            for index in indexes {
                let previous = found[index.name]?.entryCount ?? 0
                found[index.name] = IndexDescription(name: index.name, isUnique: index.isUnique, keyType: index.keyType,
                                                     entryCount: previous + index.entryCount())
            }
        }
        return found.values.sorted { $0.name < $1.name }
    }
}
