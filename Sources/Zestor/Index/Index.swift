/// A handle to a secondary index of a kind, returned by `createIndex`: queries take it, so
/// their keys are type-checked (`lookup(byAge, equals: 42)` needs an `Int`).
///
/// A handle stays tied to the index it was returned for: after `dropIndex` (even if an index of
/// the same name is created again) queries with it throw ``StoreError/indexNotFound(kind:index:)``.
public struct Index<Value: Sendable, Key: Comparable & Hashable & Sendable>: Sendable {
    @usableFromInline let definition: IndexDefinition<Value, Key>

    @inlinable
    init(_ definition: IndexDefinition<Value, Key>) {
        self.definition = definition
    }

    /// The kind the index is of.
    public var kind: String { definition.kind }
    /// The index's name, unique within its kind.
    public var name: String { definition.name }
    /// Whether no two entries may have the same index key.
    public var isUnique: Bool { definition.owners != nil }
}

/// What `indexes(kind)` reports of one index.
public struct IndexDescription: Sendable, Hashable {
    /// The index's name.
    public let name: String
    /// Whether no two entries may have the same index key.
    public let isUnique: Bool
    /// The Swift type of its keys (e.g. `"Int"`, `"IndexKey2<String, Int>"`).
    public let keyType: String
    /// The number of entries in it (entries whose key function gave `nil` are not).
    public let entryCount: Int
}
