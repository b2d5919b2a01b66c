/// One lock stripe of a ``MemoryStore``: a read-write lock and the per-kind tables it guards.
///
/// Invariant: `tables` is read only while holding `lock` (shared or exclusive) and written only
/// while holding it exclusively. When several shards are locked at once they are locked in
/// ascending index order, so lock-all operations cannot deadlock with each other.
@usableFromInline
final class Shard<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `tables` is guarded by `lock` (see the type's invariant).
    @usableFromInline let lock = ReadWriteLock()
    @usableFromInline var tables: [String: KindTable<Value>] = [:]

    @usableFromInline
    init() {}
}
