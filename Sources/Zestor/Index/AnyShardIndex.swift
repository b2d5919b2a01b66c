/// A ``ShardIndex`` whatever its key type, as a kind's table holds it (``KindTable/indexes``):
/// the index itself (queries cast it back, knowing the key type from their ``Index`` handle)
/// and its write-funnel operations as closures. The closures are made by ``init(_:)`` where the
/// index is created — `@inlinable` code specialized for the caller's value and key types — so
/// maintenance runs specialized, not through unspecialized generic code.
///
/// A class, so that a table's array of indexes is copied (queries, snapshots) with one retain
/// per index, not one per closure.
@usableFromInline
final class AnyShardIndex<Value: Sendable>: Sendable {
    @usableFromInline let base: any Sendable & AnyObject
    /// The index's ``IndexDefinition``: identifies it (a handle's definition is this object).
    @usableFromInline let definition: any Sendable & AnyObject
    @usableFromInline let name: String
    @usableFromInline let isUnique: Bool
    @usableFromInline let keyType: String
    /// See ``ShardIndex/didStore(_:_:previous:)``.
    @usableFromInline let didStore: @Sendable (EntryKey, Value, Value?) -> String?
    /// See ``ShardIndex/didRemove(_:_:)``.
    @usableFromInline let didRemove: @Sendable (EntryKey, Value) -> Void
    /// See ``ShardIndex/claim(_:_:previous:)``.
    @usableFromInline let claim: @Sendable (String, Value, Value?) throws -> (() -> Void)?
    /// See ``ShardIndex/claimAll(_:)``.
    @usableFromInline let claimAll: @Sendable ([(key: String, value: Value, previous: Value?)]) throws -> (() -> Void)?
    /// See ``ShardIndex/releaseReservation(_:_:current:)``.
    @usableFromInline let releaseReservation: @Sendable (String, Value, Value?) -> Void
    /// See ``ShardIndex/conflict(of:_:)``.
    @usableFromInline let conflict: @Sendable (String, Value) -> String?
    /// The index key a value gives, as text (for errors).
    @usableFromInline let describeKey: @Sendable (Value) -> String
    /// The number of entries in this shard's part of the index (shard lock held).
    @usableFromInline let entryCount: @Sendable () -> Int

    @inlinable
    init<Key>(_ index: ShardIndex<Value, Key>) {
        base = index
        definition = index.definition
        name = index.definition.name
        isUnique = index.definition.owners != nil
        keyType = "\(Key.self)"
        didStore = { key, value, previous in index.didStore(key, value, previous: previous) }
        didRemove = { key, value in index.didRemove(key, value) }
        claim = { key, value, previous in try index.claim(key, value, previous: previous) }
        claimAll = { changes in try index.claimAll(changes) }
        releaseReservation = { key, value, current in index.releaseReservation(key, value, current: current) }
        conflict = { key, value in index.conflict(of: key, value) }
        describeKey = { value in index.definition.key(value).map { "\($0)" } ?? "" }
        entryCount = { index.entryCount }
    }
}
