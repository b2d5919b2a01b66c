/// A key-value store: values grouped by **kind** (like a table) and **key** (unique within a kind).
///
/// Every implementation honours the same semantics (pinned by `ZestorConformance`):
/// - reads of a missing key return `nil` and reads of an unknown kind return empty results, never an error;
/// - an empty kind makes writes and `watch` throw ``StoreError/kindRequired``;
/// - a cancelled calling `Task` makes an operation throw `CancellationError` before it does anything;
/// - after ``close()`` every operation throws ``StoreError/closed``;
/// - writes that do not change the stored value (see ``StoreOptions/isEquivalent``) are skipped: no write, no event.
///
/// Requirements are `nonisolated(nonsending)`: they run on the caller's executor, so filters and
/// transforms may capture the caller's (even actor-isolated) mutable state without being `@Sendable`.
/// Concrete stores may satisfy them with synchronous `throws` methods.
public protocol Store<Value>: AnyObject, Sendable {
    /// The stored value type.
    associatedtype Value: Sendable

    /// The value stored under `kind`/`key`, or `nil` when there is none.
    nonisolated(nonsending) func get(_ kind: String, _ key: String) async throws -> Value?
    /// The entries of `kind` for which every filter returns `true`, at one point in time.
    /// Filters run synchronously inside the call, outside any lock.
    nonisolated(nonsending) func list(_ kind: String, where filters: [(String, Value) -> Bool]) async throws -> [String: Value]
    /// The number of keys in `kind`.
    nonisolated(nonsending) func count(_ kind: String) async throws -> Int
    /// The keys of `kind`, in no particular order.
    nonisolated(nonsending) func keys(_ kind: String) async throws -> [String]
    /// The entries of `kind`, in no particular order.
    nonisolated(nonsending) func values(_ kind: String) async throws -> [KeyValue<Value>]
    /// Every entry of every kind, at one point in time.
    nonisolated(nonsending) func getAll() async throws -> [String: [String: Value]]

    /// Stores `value`; reports whether the key was created, updated, or left unchanged.
    @discardableResult
    nonisolated(nonsending) func set(_ kind: String, _ key: String, _ value: Value) async throws -> SetResult
    /// Atomically transforms the stored value (zestor's SetFn). Throws
    /// StoreError.keyNotFound when absent; rethrows the transform's error and
    /// then stores nothing. Returns whether the stored value changed.
    @discardableResult
    nonisolated(nonsending) func update(_ kind: String, _ key: String, _ transform: (inout Value) throws -> Void) async throws -> Bool
    /// Merges: keys absent from `values` are left alone; unchanged keys are skipped
    /// (no write, no event); events are emitted in key order.
    nonisolated(nonsending) func setMany(_ kind: String, _ values: [String: Value]) async throws
    /// Returns the previous value, or nil when the key did not exist (not an error).
    @discardableResult
    nonisolated(nonsending) func delete(_ kind: String, _ key: String) async throws -> Value?

    /// Subscribes to the changes of `kind`. See ``Watch`` for the delivery guarantees.
    nonisolated(nonsending) func watch(_ kind: String, options: WatchOptions) async throws -> Watch<Value>
    /// Idempotent. Ends every watch; every later call throws StoreError.closed.
    nonisolated(nonsending) func close() async throws
}

extension Store {
    /// Every entry of `kind`.
    nonisolated(nonsending) public func list(_ kind: String) async throws -> [String: Value] {
        try await list(kind, where: [])
    }

    /// The entries of `kind` for which every filter returns `true`.
    nonisolated(nonsending) public func list(
        _ kind: String, where filter: @escaping (String, Value) -> Bool, _ more: ((String, Value) -> Bool)...
    ) async throws -> [String: Value] {
        try await list(kind, where: [filter] + more)
    }

    /// Subscribes to every change of `kind` with the default ``WatchOptions``.
    nonisolated(nonsending) public func watch(_ kind: String) async throws -> Watch<Value> {
        try await watch(kind, options: WatchOptions())
    }
}
