/// A key inside one kind's table, carrying the hash of the key computed once per operation.
///
/// Dictionaries keyed by `EntryKey` feed only the precomputed hash to their hasher, so the key's
/// characters are hashed once per operation, however many tables the operation touches.
/// Invariant: `hash` is always ``EntryKey/hash(of:)`` of `key`.
@usableFromInline
struct EntryKey: Hashable, Sendable {
    @usableFromInline let key: String
    @usableFromInline let hash: Int

    @inlinable
    init(key: String, hash: Int) {
        self.key = key
        self.hash = hash
    }

    /// `key` with its hash computed now (once per operation).
    @inlinable @inline(__always)
    init(key: String) {
        self.init(key: key, hash: Self.hash(of: key))
    }

    /// The hash that selects the shard of `key` (its top bits) and its bucket in the kind's table
    /// (its low bits, kept by the table as ``slotHash``).
    ///
    /// The kind is not hashed: within a shard it selects the table (by comparing the short kind
    /// strings), so hashing it too would only cost a second SipHash block per operation. The
    /// same key in several kinds therefore lives in one shard, which changes nothing but which
    /// lock those operations share.
    @inlinable
    static func hash(of key: String) -> Int {
        key.hashValue
    }

    /// The low 32 bits of `hash`, 1 in place of 0: what an ``EntryTable`` slot keeps (0 marks an
    /// empty slot). The bits that pick the bucket are the low ones, so they are all kept.
    @inlinable
    var slotHash: UInt32 {
        let low = UInt32(truncatingIfNeeded: hash)
        return low == 0 ? 1 : low
    }

    @inlinable
    static func == (lhs: EntryKey, rhs: EntryKey) -> Bool {
        lhs.hash == rhs.hash && lhs.key == rhs.key
    }

    @inlinable
    func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }

    /// Dictionaries place keys by this value. `hash` is already a SipHash output, so hashing it
    /// again is wasted work: a cheap multiply-xorshift mix with the dictionary's seed suffices
    /// (the seed keeps bucket order different between dictionaries, which avoids quadratic
    /// behaviour when one is copied into another).
    ///
    /// `_rawHashValue(seed:)` is an underscored, non-public requirement of `Hashable` (its default
    /// implementation runs `hash(into:)` through a seeded `Hasher`). Only `Dictionary` and `Set`
    /// keyed by `EntryKey` call it. Were it renamed or removed, this method would stop being
    /// called (it is not marked as an override), and those dictionaries would fall back to
    /// `hash(into:)`, which feeds the same `hash`: still correct, one SipHash round slower.
    @inlinable
    func _rawHashValue(seed: Int) -> Int {
        var mixed = UInt64(UInt(bitPattern: hash)) ^ UInt64(UInt(bitPattern: seed))
        mixed = (mixed ^ (mixed &>> 32)) &* 0xD6E8_FEB8_6659_FD93
        mixed = (mixed ^ (mixed &>> 32)) &* 0xD6E8_FEB8_6659_FD93
        return Int(truncatingIfNeeded: mixed ^ (mixed &>> 32))
    }
}
