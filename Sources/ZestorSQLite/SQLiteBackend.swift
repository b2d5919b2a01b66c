public import Logging
public import Zestor

/// A ``PersistenceBackend`` over one SQLite database file, compatible with the Go zestor sqlite
/// store's `zestor_kv(kind, key, value BLOB, version, updated_at)` table.
///
/// Threading: the backend owns one dedicated writer thread (``BlockingExecutor``) and one
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
    private let writer: BlockingExecutor
    /// The open table; `nil` once closed. Touched only on `writer`'s thread.
    private let table: ThreadConfined<ZestorKVTable?>

    /// Opens the database at `path`, creating the file and the `zestor_kv` table if missing.
    ///
    /// Blocks the calling thread while the writer thread opens and configures the connection
    /// (which may wait up to `options.busyTimeout` for another connection's lock).
    public init(path: String, options: Options = .init(), logger: Logger = Logger(label: "zestor.sqlite")) throws {
        let writer = BlockingExecutor(name: "zestor.sqlite.writer", closedError: SQLiteError.backendClosed)
        let table = ThreadConfined<ZestorKVTable?>(nil, on: writer)
        do {
            try writer.runAndWait {
                let opened = try ZestorKVTable(path: path, options: options, logger: logger)
                table.withValue { $0 = opened }
            }
        } catch {
            writer.shutdown()
            logger.debug("cannot open SQLite database", metadata: ["path": "\(path)", "error": "\(error)"])
            throw error
        }
        self.path = path
        self.options = options
        self.logger = logger
        self.writer = writer
        self.table = table
        logger.debug("opened SQLite database", metadata: [
            "path": "\(path)", "journal_mode": "\(options.journalMode.rawValue)",
            "synchronous": "\(options.synchronous.rawValue)",
        ])
    }

    deinit {
        // Not closed by its owner: close on the writer thread, then let the thread exit.
        let table = table
        _ = writer.submit { try? Self.closeTable(table) }
        writer.shutdown()
    }

    /// Every row of `zestor_kv` (`SELECT kind, key, value, version`), read on the writer thread.
    public func loadAll() async throws -> [PersistedRow] {
        let table = table
        return try await writer.run {
            try table.withValue { try Self.open($0).loadAll() }
        }
    }

    /// The rows of `keys`, read in one read transaction on the writer thread (a primary-key probe
    /// per key): how a store re-reads keys another store sharing the file wrote.
    public func load(_ keys: [PersistedKey]) async throws -> PersistedRows {
        let table = table
        return try await writer.run {
            try table.withValue { PersistedRows(rows: try Self.open($0).load(keys)) }
        }
    }

    /// Applies `mutations` in one `BEGIN IMMEDIATE` transaction on the writer thread: all of them
    /// or none. Upserts only replace rows with a lower version (the others are reported stale);
    /// deletes remove the row.
    @discardableResult
    public func commit(_ mutations: [PersistedMutation]) async throws -> CommitReport {
        let table = table
        return try await writer.run {
            try table.withValue { try Self.open($0).commit(mutations) }
        }
    }

    /// Finalizes the statements, closes the connection and stops the writer thread. Waits for
    /// the jobs already submitted (they complete first). Idempotent; concurrent calls are fine.
    public func close() async throws {
        let table = table
        // Whatever happens, the thread stops once the jobs already accepted have run.
        defer { writer.shutdown() }
        do {
            try await writer.run { try Self.closeTable(table) }
        } catch let error as SQLiteError where error.isBackendClosed {
            return  // closed already
        }
        logger.debug("closed SQLite database", metadata: ["path": "\(path)"])
    }

    /// Reads `PRAGMA <name>` of the writer connection, e.g. `pragma("journal_mode")` → `"wal"`.
    /// For tests and diagnostics; `name` is trusted SQL.
    func pragma(_ name: String) async throws -> String? {
        let table = table
        return try await writer.run {
            try table.withValue { try Self.open($0).pragma(name) }
        }
    }

    private static func open(_ table: ZestorKVTable?) throws -> ZestorKVTable {
        guard let table else { throw SQLiteError.backendClosed }
        return table
    }

    /// On the writer thread: closes and drops the table; throws ``SQLiteError/backendClosed`` when
    /// it was closed before.
    private static func closeTable(_ table: ThreadConfined<ZestorKVTable?>) throws {
        try table.withValue { value in
            guard let open = value else { throw SQLiteError.backendClosed }
            value = nil
            try open.close()
        }
    }
}
