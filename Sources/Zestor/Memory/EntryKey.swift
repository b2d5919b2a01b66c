/// A key inside one kind's table, carrying the hash of (kind, key) computed once per operation.
///
/// Dictionaries keyed by `EntryKey` feed only the precomputed hash to their hasher, so the key's
/// characters are hashed once per operation, however many tables the operation touches.
/// Invariant: `hash` is always ``EntryKey/hash(kind:key:)`` of the kind whose table holds it.
@usableFromInline
struct EntryKey: Hashable, Sendable {
    @usableFromInline let key: String
    @usableFromInline let hash: Int

    @inlinable
    init(key: String, hash: Int) {
        self.key = key
        self.hash = hash
    }

    /// The hash that selects the shard and the bucket of `key` in `kind`.
    @inlinable
    static func hash(kind: String, key: String) -> Int {
        var hasher = Hasher()
        hasher.combine(kind)
        hasher.combine(key)
        return hasher.finalize()
    }

    @inlinable
    static func == (lhs: EntryKey, rhs: EntryKey) -> Bool {
        lhs.hash == rhs.hash && lhs.key == rhs.key
    }

    @inlinable
    func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }
}
