/// The entries of one kind that live in one shard, plus the kind's watch hub when it is watched
/// and its cache state when it is a cache.
///
/// Guarded by the owning ``Shard``'s lock. `hub` is non-nil exactly while the kind has at least one
/// live watch subscription; it is set and cleared only while *every* shard is locked exclusively,
/// so a writer holding any one shard lock sees a stable value.
///
/// **The write funnel.** `entries` is changed only by ``KindTable/write(_:for:atSlot:expiry:cause:)``,
/// ``KindTable/remove(_:cause:)`` and ``KindTable/removeAll()`` (in `KindTable+Mutations.swift`),
/// and by the cache's evictions and expirations they and the sweeper make
/// (`KindTable+Cache.swift`), reached through ``MemoryStore/mutate(_:_:_:)`` with the shard locked
/// exclusively. Each of them maintains the entry, its version, its cache node and the watch
/// publication together.
///
/// **The policy seam.** Per-kind policies that must see every change of an entry plug into those
/// functions as optional per-kind state stored here: `cache` (expiry, capacity, loads and
/// statistics; nil for kinds that are not caches, which pay one `nil` check per operation), and
/// secondary indexes to come.
@usableFromInline
struct KindTable<Value: Sendable> {
    @usableFromInline let kind: String
    @usableFromInline var entries = EntryTable<Value>()
    @usableFromInline var hub: WatchHub<Value>?
    @usableFromInline var cache: KindCache<Value>?

    @inlinable
    init(kind: String) {
        self.kind = kind
    }

    /// Whether the table holds nothing worth keeping: no entry, no watch hub and no cache state
    /// (a cache kind keeps its table, with its statistics, while empty).
    @inlinable
    var isUnused: Bool { entries.isEmpty && hub == nil && cache == nil }
}
