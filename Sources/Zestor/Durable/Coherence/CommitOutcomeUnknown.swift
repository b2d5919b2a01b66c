/// Thrown by ``PersistenceBackend/commit(_:)`` when the batch may or may not have been applied:
/// the connection died after the commit was sent and the outcome could not be found out in
/// time (the storage stayed unreachable). A backend throws its own error when it knows the
/// batch did not commit.
///
/// ``DurableStore`` turns it into ``StoreError/commitOutcomeUnknown(kind:keys:)`` for the writer,
/// keeps the keys in doubt and resolves them from the storage as soon as it is reachable.
public struct CommitOutcomeUnknown: Error, Sendable, CustomStringConvertible {
    /// The failure that cut the commit off (e.g. a `PostgresError`).
    public var cause: any Error & Sendable

    public init(cause: any Error & Sendable) {
        self.cause = cause
    }

    public var description: String { "commit outcome unknown: \(cause)" }
}
