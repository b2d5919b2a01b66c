public import Logging
public import Zestor

/// A `PersistenceBackend` over one SQLite database file, compatible with the Go zestor sqlite
/// store's `zestor_kv(kind, key, value BLOB, version, updated_at)` table.
///
/// Threading: the backend owns one dedicated writer thread (`ConnectionThread`) and one
/// connection. The connection and its cached prepared statements are opened, used and closed
/// only on that thread; `loadAll()`, `commit(_:)` and `close()` enqueue a job there and suspend
/// until the thread resumes them, so no libsqlite3 call ever blocks the cooperative pool. Jobs run
/// in submission order, one at a time.
///
/// The database runs in WAL mode by default, so several backends (or processes) may open the
/// same file; writers serialize with `BEGIN IMMEDIATE` and the busy timeout.
///
/// Errors are ``SQLiteError`` values; after ``close()`` every call throws
/// ``SQLiteError/backendClosed``.
public final class SQLiteBackend: PersistenceBackend {
    /// The database path, as given.
    public let path: String
    /// The options the database was opened with.
    public let options: Options

    private let logger: Logger
    /// The writer connection and its thread.
    let writer: ConnectionThread<SQLiteSession>

    /// Opens the database at `path`, creating the file and the `zestor_kv` table if missing.
    ///
    /// Blocks the calling thread while the writer thread opens and configures the connection
    /// (which may wait up to `options.busyTimeout` for another connection's lock). Throws
    /// `StoreError/outOfRange(parameter:value:requirement:)` for an option out of its
    /// range, ``SQLiteError`` when the database cannot be opened.
    public init(path: String, options: Options = .init(), logger: Logger = Logger(label: "zestor.sqlite")) throws {
        try options.check()
        do {
            writer = try ConnectionThread(
                name: "zestor.sqlite.writer", closedError: SQLiteError.backendClosed,
                open: { try SQLiteSession(path: path, options: options, logger: logger) },
                close: { try $0.close() })
        } catch {
            logger.debug("cannot open SQLite database", metadata: ["path": "\(path)", "error": "\(error)"])
            throw error
        }
        self.path = path
        self.options = options
        self.logger = logger
        logger.debug("opened SQLite database", metadata: [
            "path": "\(path)", "journal_mode": "\(options.journalMode.rawValue)",
            "synchronous": "\(options.synchronous.rawValue)",
        ])
    }

    /// Every row of `zestor_kv` (`SELECT kind, key, value, version`), read on the writer thread.
    public func loadAll() async throws -> [PersistedRow] {
        try await writer.run { try $0.loadAll() }
    }

    /// The rows of `keys`, read in one read transaction on the writer thread (a primary-key probe
    /// per key): how a store re-reads keys another store sharing the file wrote.
    public func load(_ keys: [PersistedKey]) async throws -> PersistedRows {
        try await writer.run { PersistedRows(rows: try $0.load(keys)) }
    }

    /// Applies `mutations` in one `BEGIN IMMEDIATE` transaction on the writer thread: all of them
    /// or none. Upserts only replace rows with a lower version (the others are reported stale);
    /// deletes remove the row.
    @discardableResult
    public func commit(_ mutations: [PersistedMutation]) async throws -> CommitReport {
        try await writer.run { try $0.commit(mutations) }
    }

    /// Finalizes the statements, closes the connection and stops the writer thread. Waits for
    /// the jobs already submitted (they complete first). Idempotent; concurrent calls are fine.
    public func close() async throws {
        if try await writer.close() {
            logger.debug("closed SQLite database", metadata: ["path": "\(path)"])
        }
    }
}
