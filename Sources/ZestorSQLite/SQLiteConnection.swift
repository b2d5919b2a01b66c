import Zestor
import CSQLite

/// A thin owner of one `sqlite3*` handle: open, configure, execute, prepare, close.
///
/// Opened with `SQLITE_OPEN_NOMUTEX` and therefore not thread-safe: it must be used by one thread
/// at a time. In ``SQLiteBackend`` that is always the writer thread (see `BlockingExecutor`).
/// Extended result codes are on, so the codes SQLite returns are extended ones.
final class SQLiteConnection {
    /// The open handle; `nil` once closed.
    private(set) var handle: OpaquePointer?
    /// The path the connection was opened with.
    let path: String

    /// Opens (and with `SQLITE_OPEN_CREATE`, creates) the database at `path`.
    init(path: String, flags: Int32 = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX) throws {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? SQLiteError.codeName(rc)
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "cannot open \(path): \(message)")
        }
        sqlite3_extended_result_codes(db, 1)
        self.handle = db
        self.path = path
    }

    deinit {
        if let handle { sqlite3_close_v2(handle) }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE (`sqlite3_changes`).
    var lastChanges: Int32 {
        guard let handle else { return 0 }
        return sqlite3_changes(handle)
    }

    /// Whether no transaction is open (`sqlite3_get_autocommit`).
    var isAutocommit: Bool {
        guard let handle else { return true }
        return sqlite3_get_autocommit(handle) != 0
    }

    /// Sets how long statements wait for another connection's lock (`sqlite3_busy_timeout`).
    func setBusyTimeout(milliseconds: Int32) throws {
        let db = try openHandle()
        let rc = sqlite3_busy_timeout(db, milliseconds)
        guard rc == SQLITE_OK else { throw error(rc, statement: nil) }
    }

    /// Prepares `sql`. `persistent` hints SQLite that the statement is cached and reused
    /// (`SQLITE_PREPARE_PERSISTENT`).
    func prepare(_ sql: String, persistent: Bool = false) throws -> SQLiteStatement {
        let db = try openHandle()
        var statement: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let rc = sqlite3_prepare_v3(db, sql, -1, flags, &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw error(rc == SQLITE_OK ? SQLITE_MISUSE : rc, statement: sql)
        }
        return SQLiteStatement(handle: statement, connection: db, sql: sql)
    }

    /// Runs one statement without parameters (DDL, PRAGMA) to completion, discarding its rows.
    func execute(_ sql: String) throws {
        let statement = try prepare(sql)
        defer { statement.finalize() }
        while try statement.step() {}
    }

    /// Runs one statement without parameters and returns the first column of its first row as
    /// text (`nil` when there is no row or the value is NULL). For PRAGMA queries.
    func queryText(_ sql: String) throws -> String? {
        let statement = try prepare(sql)
        defer { statement.finalize() }
        guard try statement.step(), !statement.isNull(at: 0) else { return nil }
        return statement.text(at: 0)
    }

    /// Closes the handle with `sqlite3_close_v2`. Idempotent. Statements still alive keep the
    /// connection as a zombie until they are finalized; ``SQLiteSession`` finalizes its own first.
    func close() throws {
        guard let handle else { return }
        self.handle = nil
        let rc = sqlite3_close_v2(handle)
        guard rc == SQLITE_OK else {
            throw SQLiteError(code: rc, message: "cannot close \(path): \(SQLiteError.codeName(rc))")
        }
    }

    /// The error for result code `rc`, with the connection's current message.
    func error(_ rc: Int32, statement: String?) -> SQLiteError {
        SQLiteError(code: rc, message: Self.message(handle, rc), statement: statement)
    }

    /// `sqlite3_errmsg` of `db`, or `sqlite3_errstr(rc)` without a handle.
    static func message(_ db: OpaquePointer?, _ rc: Int32) -> String {
        guard let db, let text = sqlite3_errmsg(db) else { return SQLiteError.codeName(rc) }
        return String(cString: text)
    }

    private func openHandle() throws -> OpaquePointer {
        guard let handle else { throw SQLiteError.backendClosed }
        return handle
    }
}
