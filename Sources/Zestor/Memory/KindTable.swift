/// The entries of one kind that live in one shard, plus the kind's watch hub when it is watched.
///
/// Guarded by the owning ``Shard``'s lock. `hub` is non-nil exactly while the kind has at least one
/// live watch subscription; it is set and cleared only while *every* shard is locked exclusively,
/// so a writer holding any one shard lock sees a stable value.
///
/// **The write funnel.** `entries` is changed only by ``KindTable/write(_:for:atSlot:cause:)``,
/// ``KindTable/remove(_:cause:)`` and ``KindTable/removeAll()`` (in `KindTable+Mutations.swift`),
/// reached through ``MemoryStore/mutate(_:_:_:)`` with the shard locked exclusively. Each of them
/// maintains the entry, its version and the watch publication together.
///
/// **The policy seam.** Per-kind policies that must see every change of an entry (expiry,
/// eviction, secondary indexes — none exists yet) are to plug into those three functions and
/// nowhere else, as optional per-kind state stored here, so that a kind without a policy pays
/// one `nil` check per write and its reads stay untouched.
@usableFromInline
struct KindTable<Value: Sendable> {
    @usableFromInline let kind: String
    @usableFromInline var entries = EntryTable<Value>()
    @usableFromInline var hub: WatchHub<Value>?

    @inlinable
    init(kind: String) {
        self.kind = kind
    }

    /// Whether the table holds nothing worth keeping: no entry and no watch hub.
    @inlinable
    var isUnused: Bool { entries.isEmpty && hub == nil }
}
