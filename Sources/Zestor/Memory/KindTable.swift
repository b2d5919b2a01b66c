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
    /// The kind's secondary indexes in this shard, nil when it has none (one `nil` check per
    /// write). Set and cleared only while every shard is locked exclusively (`createIndex`,
    /// `dropIndex`), so every shard's table of an indexed kind has the same indexes.
    @usableFromInline var indexes: [AnyShardIndex<Value>]?

    @inlinable
    init(kind: String) {
        self.kind = kind
    }

    /// Whether the table holds nothing worth keeping: no entry, no watch hub, no cache state and
    /// no index (a cache kind keeps its table, with its statistics, while empty; an indexed kind
    /// its indexes).
    @inlinable
    var isUnused: Bool { entries.isEmpty && hub == nil && cache == nil && indexes == nil }
}
