import Zestor

extension PostgresBackend {
    /// How ``PostgresBackend`` connects and maintains its tables.
    public struct Options: Sendable, Hashable {
        /// The bound on one operation: the connect timeout (rounded up to whole seconds), the
        /// server's `statement_timeout` and `lock_timeout`, and libpq's `tcp_user_timeout` of
        /// every connection (unless the URL sets those itself). A statement that exceeds it fails
        /// with SQLSTATE `57014`. Greater than zero; at most `Int32.max` ms (about 24 days; longer
        /// bounds are capped there). Default 30 s.
        public var operationTimeout: Duration
        /// How many read connections serve ``PostgresBackend/loadAll()`` and the outbox reads, each
        /// on its own thread; writes always use one dedicated writer connection besides them.
        /// At least 1. Default 1 (a store reads in bulk only when it opens).
        public var poolSize: Int
        /// How long outbox rows are kept for other processes (and reconnecting listeners) to catch
        /// up from. The writer prunes the namespace's older rows after commits, at most once per
        /// ``outboxPruneInterval``. Zero or more. Default 1 hour.
        public var outboxRetention: Duration
        /// The least time between two prunes of the outbox. Zero or more. Default 1 minute.
        public var outboxPruneInterval: Duration
        /// How long a change feed's cursor keeps the outbox rows it has not read from being pruned
        /// after it last refreshed it (a live feed refreshes it on every drain, at least every few
        /// seconds). A store cut off for longer may find its rows pruned: its feed then detects the
        /// gap and resynchronizes its memory from `zestor_kv`. Zero or more (zero: cursors never hold
        /// rows back). Default 5 minutes.
        public var outboxCursorLiveness: Duration

        public init(operationTimeout: Duration = .seconds(30), poolSize: Int = 1,
                    outboxRetention: Duration = .seconds(3600), outboxPruneInterval: Duration = .seconds(60),
                    outboxCursorLiveness: Duration = .seconds(300)) {
            self.operationTimeout = operationTimeout
            self.poolSize = poolSize
            self.outboxRetention = outboxRetention
            self.outboxPruneInterval = outboxPruneInterval
            self.outboxCursorLiveness = outboxCursorLiveness
        }

        /// Throws `StoreError/outOfRange(parameter:value:requirement:)` for an option
        /// out of its range (checked by ``PostgresBackend/init(url:namespace:options:logger:)``).
        func check() throws(StoreError) {
            try RangeCheck.positive(operationTimeout, "PostgresBackend.Options.operationTimeout")
            try RangeCheck.atLeast(1, poolSize, "PostgresBackend.Options.poolSize")
            try RangeCheck.nonNegative(outboxRetention, "PostgresBackend.Options.outboxRetention")
            try RangeCheck.nonNegative(outboxPruneInterval, "PostgresBackend.Options.outboxPruneInterval")
            try RangeCheck.nonNegative(outboxCursorLiveness, "PostgresBackend.Options.outboxCursorLiveness")
        }

        /// ``operationTimeout`` in whole milliseconds (checked positive), at least 1 (0 would
        /// mean "no timeout" to PostgreSQL) and capped at `Int32.max`.
        var operationTimeoutMilliseconds: Int64 {
            operationTimeout.milliseconds(clampedTo: 1...Int64(Int32.max))
        }
    }
}
