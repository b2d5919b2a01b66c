/// Where a ``DurableStore`` keeps its rows: SQLite, PostgreSQL, or anything else that can load
/// rows in bulk and commit batches of mutations atomically.
///
/// Implementations run their blocking I/O on threads of their own, never on the Swift
/// concurrency cooperative pool, and throw their own error types (with the backend's code,
/// message and statement), which the store rethrows unchanged.
public protocol PersistenceBackend: Sendable {
    /// Every stored row, for the bulk load at open.
    func loadAll() async throws -> [PersistedRow]

    /// The stored rows of `keys` (absent keys have none), read at one point of the storage's
    /// commit order: how a store reconciles keys whose memory may differ from the storage (a
    /// commit of unknown outcome, an upsert another store won). Default: ``loadAll()`` filtered,
    /// without a position.
    func load(_ keys: [PersistedKey]) async throws -> PersistedRows

    /// Applies `mutations` in one transaction: all of them or none. Mutations of one key appear
    /// in the order they were made. A row's version only moves forward: an upsert whose version
    /// is not greater than the stored row's leaves that row alone and is reported as stale (the
    /// row was written meanwhile by another store sharing the storage).
    ///
    /// Throws the backend's own error when the batch surely did not commit, and
    /// ``CommitOutcomeUnknown`` when it may have (the connection died mid-commit and the outcome
    /// could not be found out).
    @discardableResult
    func commit(_ mutations: [PersistedMutation]) async throws -> CommitReport

    /// Changes committed by *other* processes sharing the same storage, in commit order, for
    /// backends that have a change feed (PostgreSQL); `nil` for those that have none (SQLite).
    /// The feed starts after the position of the last ``loadAll()`` (or of the backend's
    /// opening), and reports a gap in its history as ``FeedBatch/resynchronize(_:missedAfter:)``
    /// rather than skip it. Default: `nil`.
    func externalChanges() -> AsyncStream<FeedBatch>?

    /// Releases the backend's connections and threads. Idempotent.
    func close() async throws
}

extension PersistenceBackend {
    /// No change feed.
    public func externalChanges() -> AsyncStream<FeedBatch>? { nil }

    /// ``loadAll()`` filtered to `keys`, without a position.
    public func load(_ keys: [PersistedKey]) async throws -> PersistedRows {
        let wanted = Set(keys)
        return PersistedRows(rows: try await loadAll().filter { wanted.contains(PersistedKey(kind: $0.kind, key: $0.key)) })
    }
}

/// What a commit did not apply.
public struct CommitReport: Sendable, Hashable {
    /// Positions (in the committed array) of upserts left alone because the stored row's version
    /// was not older, and of compare-and-sets whose row was not at the expected version: another
    /// store sharing the storage wrote the key first.
    public var staleUpserts: [Int]
    /// Positions of `delete`, `deleteUnlessNewer`, `setExpiry` and `compareAndDelete` mutations
    /// that changed no row: it was gone, or (for the conditional ones) at another version. A backend with a change
    /// feed must report them: a store records what its memory shows from the mutations that did
    /// change their row.
    public var unchanged: [Int]
    /// Where the commit sits in the storage's commit order (PostgreSQL: the largest outbox id it
    /// wrote), for backends with a change feed; `nil` otherwise or when it changed no row.
    public var position: UInt64?

    public init(staleUpserts: [Int] = [], unchanged: [Int] = [], position: UInt64? = nil) {
        self.staleUpserts = staleUpserts
        self.unchanged = unchanged
        self.position = position
    }

    /// Every mutation was applied.
    public static var allApplied: CommitReport { CommitReport() }
}

/// One stored row: a kind, a key, the encoded value, its version and when it expires.
public struct PersistedRow: Sendable, Hashable {
    public var kind: String
    public var key: String
    /// The value as encoded by the store's ``Codec``.
    public var value: [UInt8]
    /// 1 when the key was created, +1 per change.
    public var version: UInt64
    /// When the row expires, in milliseconds since 1970-01-01 UTC (wall-clock time, so that it
    /// outlives the process); `nil`: never. A store neither loads nor keeps a row whose instant
    /// has passed.
    public var expiresAt: Int64?

    public init(kind: String, key: String, value: [UInt8], version: UInt64, expiresAt: Int64? = nil) {
        self.kind = kind
        self.key = key
        self.value = value
        self.version = version
        self.expiresAt = expiresAt
    }
}

/// A change to persist.
public enum PersistedMutation: Sendable, Hashable {
    /// Insert the row, or replace the stored one if `row.version` is greater.
    case upsert(PersistedRow)
    /// Remove the row of `kind`/`key`.
    case delete(kind: String, key: String)
    /// Remove the row of `kind`/`key` unless its version is greater than `version`: an entry a
    /// cache expired or evicted at that version, whose removal must not take a newer write of the
    /// key with it (and must take an older row, when the removed version never reached the
    /// storage). Changes nothing (and is not an error) when the row is gone or newer.
    case deleteUnlessNewer(kind: String, key: String, version: UInt64)
    /// Set the expiry instant of the row of `kind`/`key` (``PersistedRow/expiresAt``; `nil`:
    /// never) only if its version is `version`, without a new version. Changes nothing (and is
    /// not an error) when the row is gone or newer.
    case setExpiry(kind: String, key: String, version: UInt64, expiresAt: Int64?)
    /// Store `row` only if the stored row of its key is at version `expectedVersion` exactly
    /// (`nil`: only if there is no row): a compare-and-set decided by the storage, so that of
    /// two stores sharing it that compare-and-set one key at one version exactly one wins. Left
    /// alone otherwise and reported in ``CommitReport/staleUpserts``.
    case compareAndSet(PersistedRow, expectedVersion: UInt64?)
    /// Remove the row of `kind`/`key` only if its version is `version` exactly. Changes nothing
    /// otherwise (reported in ``CommitReport/unchanged``).
    case compareAndDelete(kind: String, key: String, version: UInt64)

    /// The kind the mutation touches.
    public var kind: String {
        switch self {
        case .upsert(let row), .compareAndSet(let row, _): row.kind
        case .delete(let kind, _), .deleteUnlessNewer(let kind, _, _), .setExpiry(let kind, _, _, _),
             .compareAndDelete(let kind, _, _): kind
        }
    }

    /// The key the mutation touches.
    public var key: String {
        switch self {
        case .upsert(let row), .compareAndSet(let row, _): row.key
        case .delete(_, let key), .deleteUnlessNewer(_, let key, _), .setExpiry(_, let key, _, _),
             .compareAndDelete(_, let key, _): key
        }
    }
}
