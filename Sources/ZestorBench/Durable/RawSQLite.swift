import CSQLite
import Foundation

/// A bare sqlite3 connection for the benchmark's fixtures and its `sqlite_raw` baseline.
///
/// Every call blocks in libsqlite3: create, use and close it on one dedicated thread, never on
/// the Swift concurrency pool.
final class RawSQLite {
    /// A failed sqlite3 call: its result code, message and statement.
    struct Failure: Error, CustomStringConvertible {
        let code: Int32
        let message: String
        let sql: String
        var description: String { "SQLite error \(code): \(message) (\(sql))" }
    }

    /// The upsert of Benchmarks/README.md's `sqlite_raw`; parameters kind, key, value, version, updated_at.
    static let upsertSQL = """
        INSERT INTO zestor_kv(kind,key,value,version,updated_at) VALUES(?,?,?,?,?) \
        ON CONFLICT(kind,key) DO UPDATE SET value=excluded.value, version=excluded.version, \
        updated_at=excluded.updated_at
        """

    private let handle: OpaquePointer

    /// `updated_at` as the library writes it: ISO-8601 UTC with milliseconds.
    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

    /// Opens (creating if missing) the database at `path`.
    init(path: String) throws {
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw Failure(code: rc, message: message, sql: "open \(path)")
        }
        self.handle = handle
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Runs `sql` (one or more statements without parameters), discarding rows.
    func execute(_ sql: String) throws {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), sql)
    }

    /// Prepares `sql` once for repeated execution.
    func prepare(_ sql: String) throws -> Statement {
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil), sql)
        guard let statement else { throw Failure(code: SQLITE_MISUSE, message: "empty statement", sql: sql) }
        return Statement(handle: statement, connection: self, sql: sql)
    }

    func check(_ rc: Int32, _ sql: String) throws {
        guard rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW else {
            throw Failure(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
        }
    }

    /// One prepared statement of a ``RawSQLite`` connection, finalized on deinit.
    final class Statement {
        private let handle: OpaquePointer
        private let connection: RawSQLite
        private let sql: String

        fileprivate init(handle: OpaquePointer, connection: RawSQLite, sql: String) {
            self.handle = handle
            self.connection = connection
            self.sql = sql
        }

        deinit {
            sqlite3_finalize(handle)
        }

        /// Executes the upsert once: binds the row (the bytes are only read during the call,
        /// `SQLITE_STATIC`), steps to completion and resets.
        func upsert(kind: String, key: String, value: UnsafeRawBufferPointer, version: Int64, updatedAt: String) throws {
            var kind = kind, key = key, updatedAt = updatedAt
            let rc = kind.withUTF8 { kind in
                key.withUTF8 { key in
                    updatedAt.withUTF8 { updatedAt in
                        bindText(kind, at: 1)
                        bindText(key, at: 2)
                        sqlite3_bind_blob(handle, 3, value.baseAddress, Int32(value.count), nil)
                        sqlite3_bind_int64(handle, 4, version)
                        bindText(updatedAt, at: 5)
                        let rc = sqlite3_step(handle)
                        sqlite3_reset(handle)
                        return rc
                    }
                }
            }
            try connection.check(rc, sql)
        }

        /// Binds UTF-8 bytes that stay valid until the next step (`SQLITE_STATIC`: a nil destructor).
        @inline(__always)
        private func bindText(_ utf8: UnsafeBufferPointer<UInt8>, at index: Int32) {
            let text = UnsafeRawPointer(utf8.baseAddress)?.assumingMemoryBound(to: CChar.self)
            sqlite3_bind_text(handle, index, text, Int32(utf8.count), nil)
        }
    }
}
