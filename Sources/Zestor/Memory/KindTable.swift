/// The entries of one kind that live in one shard, plus the kind's watch hub when it is watched.
///
/// Guarded by the owning ``Shard``'s lock. `hub` is non-nil exactly while the kind has at least one
/// live watch subscription; it is set and cleared only while *every* shard is locked exclusively,
/// so a writer holding any one shard lock sees a stable value.
@usableFromInline
struct KindTable<Value: Sendable> {
    @usableFromInline let kind: String
    @usableFromInline var entries = EntryTable<Value>()
    @usableFromInline var hub: WatchHub<Value>?

    @inlinable
    init(kind: String) {
        self.kind = kind
    }
}
