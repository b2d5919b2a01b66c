/// A ``Store`` with optimistic concurrency: every entry carries a version (1 when the key is
/// created, +1 per change), and a write or delete can be made conditional on it.
///
/// Every implementation honours the same semantics (pinned by `ZestorConformance`):
/// - `compareAndSet` stores only if the key's current version is `expectedVersion` (`nil`: the
///   key must be absent; an expired entry counts as absent) and returns the version it stored;
///   otherwise it stores nothing and throws ``StoreError/versionConflict(kind:key:expected:actual:)``
///   carrying the version it found (`nil`: absent);
/// - of concurrent `compareAndSet`s of one key at one version, exactly one succeeds;
/// - an equivalent value (``StoreOptions/isEquivalent``) leaves the version unchanged and emits
///   nothing, and still fails on another version;
/// - `compareAndDelete` removes the entry only at `expectedVersion` and returns its value.
///
/// A ``DurableStore`` in write-through mode checks the version in the storage, in the commit:
/// stores sharing a SQLite file or a PostgreSQL namespace cannot both win. In write-behind mode
/// the check is against its memory (see ``DurableStore`` for what that means for replicas).
public protocol VersionedStore<Value>: Store {
    /// The value stored under `kind`/`key` with its version, or `nil` when there is none.
    nonisolated(nonsending) func getVersioned(_ kind: String, _ key: String) async throws -> Versioned<Value>?

    /// Stores `value` only if the key's current version is `expectedVersion` (`nil`: the key
    /// must be absent), with the kind's default expiry. Returns the version stored (the current
    /// one when `value` is equivalent). Throws ``StoreError/versionConflict(kind:key:expected:actual:)``
    /// and stores nothing otherwise; validators run first.
    @discardableResult
    nonisolated(nonsending) func compareAndSet(_ kind: String, _ key: String, _ value: Value,
                                               expectedVersion: UInt64?) async throws -> UInt64

    /// Removes the entry only if its current version is `expectedVersion`, and returns the value
    /// it held (its `.delete` event carries it). Throws ``StoreError/versionConflict(kind:key:expected:actual:)``
    /// and removes nothing otherwise (`actual` is `nil` when the key is absent).
    @discardableResult
    nonisolated(nonsending) func compareAndDelete(_ kind: String, _ key: String,
                                                  expectedVersion: UInt64) async throws -> Value
}

extension MemoryStore: VersionedStore {}
