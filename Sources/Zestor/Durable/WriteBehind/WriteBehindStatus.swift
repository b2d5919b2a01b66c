/// The inspectable state of a write-behind store's flusher.
public struct WriteBehindStatus: Sendable, Equatable {
    /// Keys written to memory and not yet committed (coalesced: one per key).
    public var pending: Int
    /// Commits that failed in a row since the last success (0 when healthy).
    public var consecutiveFailures: Int
    /// The last commit error, if the last attempt failed.
    public var lastError: String?
    /// Batches committed since open.
    public var committedBatches: Int
}
