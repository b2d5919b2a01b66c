/// Exponential backoff between retries: ``initial``, doubling after each failure up to
/// ``maximum``; ``reset()`` after a success. The one retry schedule of the write-behind
/// flusher, the resolver of keys in doubt, and the PostgreSQL change feed and commit settling.
/// Shared by the backend modules of this package (`package` access).
package struct Backoff: Sendable {
    package let initial: Duration
    package let maximum: Duration
    /// The pause the next retry waits.
    package private(set) var current: Duration

    package init(initial: Duration, maximum: Duration) {
        precondition(initial > .zero && maximum >= initial, "Backoff needs 0 < initial <= maximum")
        self.initial = initial
        self.maximum = maximum
        current = initial
    }

    /// The pause to wait now; the one after it is twice as long (at most ``maximum``).
    package mutating func next() -> Duration {
        defer { current = min(current * 2, maximum) }
        return current
    }

    /// The pause after `failures` consecutive failures (1 → ``initial``), without keeping state:
    /// for callers that count their failures themselves.
    package func pause(afterFailures failures: Int) -> Duration {
        var pause = initial
        for _ in 1..<max(failures, 1) where pause < maximum { pause = min(pause * 2, maximum) }
        return pause
    }

    /// Back to ``initial`` (after a success).
    package mutating func reset() {
        current = initial
    }
}
