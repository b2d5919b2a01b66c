import Zestor

extension SQLiteBackend {
    /// How ``SQLiteBackend`` opens its database.
    public struct Options: Sendable, Hashable {
        /// `PRAGMA synchronous`: how often SQLite waits for the disk.
        public enum Synchronous: String, Sendable, Hashable, CaseIterable {
            /// No fsync at all: fast, but a power loss may corrupt the database. Benchmarks only.
            case off = "OFF"
            /// With WAL: durable across application crashes; a power loss may lose the last
            /// commits but never corrupts the database. The default.
            case normal = "NORMAL"
            /// fsync on every commit: durable across power loss.
            case full = "FULL"
            /// `FULL` plus an fsync of the directory after a rollback journal is unlinked.
            case extra = "EXTRA"
        }

        /// `PRAGMA journal_mode`. Only ``wal`` lets a reader and a writer (or two backends on
        /// one file) work side by side.
        public enum JournalMode: String, Sendable, Hashable, CaseIterable {
            /// Write-ahead log. The default.
            case wal = "WAL"
            /// Rollback journal, deleted after each transaction.
            case delete = "DELETE"
            /// Rollback journal, truncated after each transaction.
            case truncate = "TRUNCATE"
            /// Rollback journal, its header zeroed after each transaction.
            case persist = "PERSIST"
        }

        /// `PRAGMA synchronous`. Default ``Synchronous/normal``.
        public var synchronous: Synchronous
        /// How long a statement waits for a lock held by another connection before failing with
        /// `SQLITE_BUSY` (`sqlite3_busy_timeout`, millisecond precision, at most `Int32.max` ms
        /// — about 24 days; longer waits are capped there). Zero or more. Default 5 s.
        public var busyTimeout: Duration
        /// `PRAGMA journal_mode`; opening fails when SQLite does not switch to it. Default ``JournalMode/wal``.
        public var journalMode: JournalMode

        public init(synchronous: Synchronous = .normal, busyTimeout: Duration = .seconds(5), journalMode: JournalMode = .wal) {
            self.synchronous = synchronous
            self.busyTimeout = busyTimeout
            self.journalMode = journalMode
        }

        /// Throws `StoreError/outOfRange(parameter:value:requirement:)` for an option
        /// out of its range (checked by ``SQLiteBackend/init(path:options:logger:)``).
        func check() throws(StoreError) {
            try RangeCheck.nonNegative(busyTimeout, "SQLiteBackend.Options.busyTimeout")
        }

        /// ``busyTimeout`` in whole milliseconds (checked not negative), capped at `Int32.max`.
        var busyTimeoutMilliseconds: Int32 {
            Int32(busyTimeout.milliseconds(clampedTo: 0...Int64(Int32.max)))
        }
    }
}
