/// A ``Store`` whose kinds can behave as caches: entries that expire, kinds bounded by a
/// capacity (``StoreOptions/caches``), reads that load what is missing once per key, and
/// per-kind statistics.
///
/// Every implementation honours the same semantics (pinned by `ZestorConformance`):
/// - from the instant an entry expires no read returns it, swept or not; its removal is one
///   `.delete` event with cause ``EventCause/expired``;
/// - a write given an ``Expiration`` replaces the entry's expiry; `update` without one keeps it;
///   a zero or negative duration throws ``StoreError/outOfRange(parameter:value:requirement:)``
///   and stores nothing;
/// - a bounded kind never holds more than its capacity; an insertion into a full kind evicts
///   one entry (a `.delete` event with cause ``EventCause/evicted``);
/// - `get(_:_:orLoad:)` runs one load per missing key however many callers wait, and a write
///   during the load wins over its result.
public protocol CachingStore<Value>: Store {
    /// Stores `value` expiring as `expiration` says.
    @discardableResult
    nonisolated(nonsending) func set(_ kind: String, _ key: String, _ value: Value,
                                     expiration: Expiration) async throws -> SetResult
    /// `update` that also gives the entry `expiration` when it is non-nil (nil keeps its expiry).
    @discardableResult
    nonisolated(nonsending) func update(_ kind: String, _ key: String, expiration: Expiration?,
                                        _ transform: (inout Value) throws -> Void) async throws -> Bool
    /// `setMany` giving every key written `expiration`.
    nonisolated(nonsending) func setMany(_ kind: String, _ values: [String: Value],
                                         expiration: Expiration) async throws
    /// When the live entry under `kind`/`key` expires (``Expiration/never`` or
    /// ``Expiration/after(_:)`` the time it has left), or nil when there is none.
    nonisolated(nonsending) func expiration(_ kind: String, _ key: String) async throws -> Expiration?
    /// Changes when the live entry expires without rewriting it (no event, same version);
    /// returns false when there is none.
    @discardableResult
    nonisolated(nonsending) func setExpiration(_ kind: String, _ key: String,
                                               _ expiration: Expiration) async throws -> Bool
    /// Removes every entry expired now (each with its `.delete` event) and returns how many; the
    /// background sweeper does this every ``SweepOptions/interval``.
    @discardableResult
    nonisolated(nonsending) func removeExpired() async throws -> Int
    /// The live value under `kind`/`key`, or on a miss the value `load` returns, stored with the
    /// kind's time to live. One load per missing key however many callers wait.
    nonisolated(nonsending) func get(_ kind: String, _ key: String,
                                     orLoad load: @escaping @Sendable (String) async throws -> Value?) async throws -> Value?
    /// What `kind` has done as a cache.
    nonisolated(nonsending) func stats(_ kind: String) async throws -> CacheStats
}

extension MemoryStore: CachingStore {}
