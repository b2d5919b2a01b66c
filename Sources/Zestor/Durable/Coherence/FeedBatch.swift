/// What a backend's change feed (``PersistenceBackend/externalChanges()``) delivers, in the
/// storage's commit order.
public enum FeedBatch: Sendable {
    /// Changes other processes committed, oldest first. `through` is the position the feed has
    /// read up to (at least every change's position; the backend's own rows in between are
    /// left out).
    case changes([FeedChange], through: UInt64)
    /// The feed found a gap: the storage's history was pruned past the feed's position
    /// (`missedAfter`), so the changes in between are lost. `snapshot` holds every row of the
    /// storage at `snapshot.position`, and the feed continues after it. A store diffs it against
    /// its memory and applies the differences.
    case resynchronize(PersistedRows, missedAfter: UInt64)
}

/// One change of a ``FeedBatch``, at its position in the storage's commit order.
public struct FeedChange: Sendable, Hashable {
    public var mutation: PersistedMutation
    /// Where the change sits in the storage's commit order (PostgreSQL: its outbox id). Later
    /// commits have larger positions.
    public var position: UInt64

    public init(_ mutation: PersistedMutation, at position: UInt64) {
        self.mutation = mutation
        self.position = position
    }
}

/// Rows read at one point of the storage's commit order.
public struct PersistedRows: Sendable, Hashable {
    public var rows: [PersistedRow]
    /// The position of the last commit the rows reflect (every commit at or below it, none above
    /// it); `nil` for backends without a commit order (no change feed).
    public var position: UInt64?

    public init(rows: [PersistedRow], position: UInt64? = nil) {
        self.rows = rows
        self.position = position
    }
}

/// A stored row's identity.
public struct PersistedKey: Sendable, Hashable, Comparable {
    public var kind: String
    public var key: String

    public init(kind: String, key: String) {
        self.kind = kind
        self.key = key
    }

    public static func < (lhs: PersistedKey, rhs: PersistedKey) -> Bool {
        (lhs.kind, lhs.key) < (rhs.kind, rhs.key)
    }
}
