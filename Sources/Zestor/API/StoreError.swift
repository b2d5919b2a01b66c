/// Contract errors. Equatable, so payloads are plain values. Backend failures are
/// thrown as the backend's own error types (e.g. SQLiteError with result code,
/// message and statement), and validators' and transforms' errors are rethrown
/// unchanged — none is wrapped in StoreError.
public enum StoreError: Error, Sendable, Equatable {
    /// The store was closed; nothing was done.
    case closed
    /// The kind was empty; writes and watches need a kind.
    case kindRequired
    /// `update` found no value under `kind`/`key`.
    case keyNotFound(kind: String, key: String)
    /// The watcher fell more than its `bufferSize` events behind. Re-list and re-watch.
    case watchOverflow(kind: String)
    /// A compare-and-set found another version than the one expected (`nil` = the key is absent).
    case versionConflict(kind: String, key: String, expected: UInt64?, actual: UInt64?)
    /// `createIndex` named an index the kind already has.
    case indexExists(kind: String, index: String)
    /// A query or `dropIndex` named an index the kind does not have (never created, or dropped).
    case indexNotFound(kind: String, index: String)
    /// A write would have given the entry `key` the index key `indexKey` (as text) of a unique
    /// index that the entry `conflictingKey` holds; nothing was written (for `setMany`, nothing
    /// of the whole call). Also thrown by `createIndex` of a unique index when two entries
    /// already share a key (then nothing is created).
    case uniqueIndexViolation(kind: String, index: String, key: String, conflictingKey: String, indexKey: String)
    /// An argument was invalid in a way no other case names. The store's own checks throw
    /// ``outOfRange(parameter:value:requirement:)`` and ``watchAlreadyConsumed`` instead.
    case invalidArgument(String)
    /// An option or argument was outside its documented range, and nothing was done. Every
    /// store, policy and backend option is checked by this one rule when it is used (at `init`,
    /// `open` or `watch`); none is clamped silently. `parameter` names it as written in code
    /// (e.g. `"WatchOptions.bufferSize"`), `value` is what was given, `requirement` the range
    /// it must be in (e.g. `"at least 1"`).
    case outOfRange(parameter: String, value: String, requirement: String)
    /// A second iterator was made from a ``Watch``: a watch has a single consumer. Thrown by
    /// that iterator's first `next()`; the first iterator is unaffected.
    case watchAlreadyConsumed
    /// A stored row could not be decoded by the store's codec (at `DurableStore.open`).
    case undecodableRow(kind: String, key: String, reason: String)
    /// A write-through write whose commit was cut off (the database became unreachable) and
    /// whose outcome could not be found out in time: it **may have been applied**. The store
    /// keeps these keys in doubt and reconciles them with the database as soon as it is
    /// reachable again (memory and watchers then show what was committed, exactly once). Read
    /// the key again later, or retry the write: a retry first reconciles the key, so it never
    /// fails for a stale version.
    case commitOutcomeUnknown(kind: String, keys: [String])
}
