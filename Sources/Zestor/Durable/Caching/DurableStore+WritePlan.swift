/// The steps every durable write takes under its key's gate before it commits or records: the
/// key's live entry with its expiry, the deadline the write's ``Expiration`` resolves to, and
/// the version it stores.
extension DurableStore {
    /// The key's live entry with its monotonic expiry deadline (0: never), or nil.
    typealias Current = (entry: Versioned<Value>, deadline: Int64)

    /// The monotonic deadline `expiration` gives a write to `kind` now (0: never).
    func deadline(of expiration: Expiration, in kind: String) -> Int64 {
        instants.deadline(of: expiration, defaultTimeToLive: engine.cacheOptions[kind]?.timeToLive)
    }

    /// The version a write of `key` stores when memory holds `current` (nil: no live entry): the
    /// next one — above the version of the entry the cache removed, while that removal may not be
    /// durable yet, so that the write replaces the stored row whether or not the removal reached
    /// it. The caller holds the key's gate.
    func nextVersion(of key: KeyGate.Key, after current: UInt64?) -> UInt64 {
        (current ?? cacheRemovals.outstandingWrite(of: key)?.removedVersion ?? 0) + 1
    }

    /// The row a write stores: `value` encoded at `version`, expiring at the instant of `deadline`.
    func row(_ key: KeyGate.Key, _ value: Value, version: UInt64, deadline: Int64) throws -> PersistedRow {
        PersistedRow(kind: key.kind, key: key.key, value: try codec.encode(value), version: version,
                     expiresAt: instants.instant(ofDeadline: deadline))
    }

    /// `update`'s step shared by both modes (the caller holds the key's gate): the key's live
    /// entry and the value `transform` makes of it, validated, or `nil` for the value when it is
    /// equivalent. Throws ``StoreError/keyNotFound(kind:key:)`` for a missing key, and what
    /// `transform` or the validator throws.
    func transformed(_ kind: String, _ key: String,
                     _ transform: (inout Value) throws -> Void) throws -> (current: Current, value: Value?) {
        guard let current = engine.versionedWithDeadline(kind, key) else {
            throw StoreError.keyNotFound(kind: kind, key: key)
        }
        var value = current.entry.value
        try transform(&value)
        try engine.validate(kind, value)
        return (current, engine.isEquivalent(current.entry.value, value) ? nil : value)
    }
}
