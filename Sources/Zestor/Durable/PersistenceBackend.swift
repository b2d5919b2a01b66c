/// Where a ``DurableStore`` keeps its rows: SQLite, PostgreSQL, or anything else that can load
/// rows in bulk and commit batches of mutations atomically.
///
/// Implementations run their blocking I/O on threads of their own, never on the Swift
/// concurrency cooperative pool, and throw their own error types (with the backend's code,
/// message and statement), which the store rethrows unchanged.
public protocol PersistenceBackend: Sendable {
    /// Every stored row, for the bulk load at open.
    func loadAll() async throws -> [PersistedRow]

    /// Applies `mutations` in one transaction: all of them or none. Mutations of one key appear
    /// in the order they were made. A row's version only moves forward: an upsert whose version
    /// is not greater than the stored row's leaves that row alone and is reported as stale (the
    /// row was written meanwhile by another store sharing the storage).
    @discardableResult
    func commit(_ mutations: [PersistedMutation]) async throws -> CommitReport

    /// Changes committed by *other* processes sharing the same storage, for backends that have a
    /// change feed (PostgreSQL); `nil` for those that have none (SQLite). Default: `nil`.
    func externalChanges() -> AsyncStream<[PersistedMutation]>?

    /// Releases the backend's connections and threads. Idempotent.
    func close() async throws
}

extension PersistenceBackend {
    /// No change feed.
    public func externalChanges() -> AsyncStream<[PersistedMutation]>? { nil }
}

/// What a commit did not apply.
public struct CommitReport: Sendable, Hashable {
    /// Positions (in the committed array) of upserts left alone because the stored row's version
    /// was not older: another store sharing the storage wrote the key first.
    public var staleUpserts: [Int]

    public init(staleUpserts: [Int] = []) {
        self.staleUpserts = staleUpserts
    }

    /// Every mutation was applied.
    public static var allApplied: CommitReport { CommitReport() }
}

/// One stored row: a kind, a key, the encoded value and its version.
public struct PersistedRow: Sendable, Hashable {
    public var kind: String
    public var key: String
    /// The value as encoded by the store's ``Codec``.
    public var value: [UInt8]
    /// 1 when the key was created, +1 per change.
    public var version: UInt64

    public init(kind: String, key: String, value: [UInt8], version: UInt64) {
        self.kind = kind
        self.key = key
        self.value = value
        self.version = version
    }
}

/// A change to persist.
public enum PersistedMutation: Sendable, Hashable {
    /// Insert the row, or replace the stored one if `row.version` is greater.
    case upsert(PersistedRow)
    /// Remove the row of `kind`/`key`.
    case delete(kind: String, key: String)

    /// The kind the mutation touches.
    public var kind: String {
        switch self {
        case .upsert(let row): row.kind
        case .delete(let kind, _): kind
        }
    }

    /// The key the mutation touches.
    public var key: String {
        switch self {
        case .upsert(let row): row.key
        case .delete(_, let key): key
        }
    }
}
