/// When a ``DurableStore`` write becomes durable.
public enum WriteMode: Sendable {
    /// A write returns after its transaction committed. Concurrent writers share commits.
    case writeThrough
    /// A write returns after the memory apply; a background flusher commits coalesced batches.
    case writeBehind(WriteBehindPolicy)
}

/// How write-behind batches and bounds its pending writes.
public struct WriteBehindPolicy: Sendable {
    /// How long a pending write may wait before the flusher commits it.
    public var maxDelay: Duration
    /// The most mutations one commit carries.
    public var maxBatch: Int
    /// The most keys waiting to be committed; writers suspend while it is reached.
    public var maxPending: Int

    /// Creates a policy; `maxBatch` and `maxPending` must be at least 1 and `maxDelay` not
    /// negative (`DurableStore.open` throws ``StoreError/outOfRange(parameter:value:requirement:)``
    /// otherwise).
    public init(maxDelay: Duration = .milliseconds(20), maxBatch: Int = 5_000, maxPending: Int = 100_000) {
        self.maxDelay = maxDelay
        self.maxBatch = maxBatch
        self.maxPending = maxPending
    }

    /// Throws ``StoreError/outOfRange(parameter:value:requirement:)`` for a field out of its range.
    func check() throws(StoreError) {
        try RangeCheck.nonNegative(maxDelay, "WriteBehindPolicy.maxDelay")
        try RangeCheck.atLeast(1, maxBatch, "WriteBehindPolicy.maxBatch")
        try RangeCheck.atLeast(1, maxPending, "WriteBehindPolicy.maxPending")
    }
}

/// What `DurableStore.open` does with a stored row its codec cannot decode.
public enum UndecodableRowPolicy: Sendable {
    /// `open` throws ``StoreError/undecodableRow(kind:key:reason:)``; nothing is modified.
    case fail
    /// The row is logged at error level and left out of memory (and left alone on disk).
    case skipAndLog
}
