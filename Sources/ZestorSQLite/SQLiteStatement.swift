import CSQLite

/// One prepared `sqlite3_stmt*`: bind, step, read columns, reset, finalize.
///
/// Confined, like its ``SQLiteConnection``, to the thread that uses that connection. Parameter
/// and column indexes are those of the C API: parameters from 1, columns from 0.
final class SQLiteStatement {
    private var handle: OpaquePointer?
    /// The connection's handle, for error messages. Borrowed: the connection outlives the statement's use.
    private let connection: OpaquePointer
    /// The SQL text, reported in errors.
    let sql: String

    init(handle: OpaquePointer, connection: OpaquePointer, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit {
        finalize()
    }

    // MARK: Binding

    /// Binds `text` as UTF-8 TEXT. SQLite copies the bytes (`SQLITE_TRANSIENT`). An empty string
    /// binds `''`, never NULL.
    func bind(_ text: String, at index: Int32) throws {
        let statement = try openHandle()
        var text = text
        let rc = text.withUTF8 { utf8 -> Int32 in
            guard let base = utf8.baseAddress, !utf8.isEmpty else {
                // A nil pointer would bind NULL.
                return sqlite3_bind_text64(statement, index, "", 0, sqliteTransient, UInt8(SQLITE_UTF8))
            }
            return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                sqlite3_bind_text64(statement, index, $0, UInt64(utf8.count), sqliteTransient, UInt8(SQLITE_UTF8))
            }
        }
        try check(rc)
    }

    /// Binds `bytes` as a BLOB. SQLite copies the bytes (`SQLITE_TRANSIENT`). An empty array binds
    /// a zero-length blob, never NULL.
    func bind(_ bytes: [UInt8], at index: Int32) throws {
        let statement = try openHandle()
        let rc: Int32
        if bytes.isEmpty {
            rc = sqlite3_bind_zeroblob(statement, index, 0)
        } else {
            rc = bytes.withUnsafeBytes {
                sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), sqliteTransient)
            }
        }
        try check(rc)
    }

    /// Binds `value` as an INTEGER.
    func bind(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(try openHandle(), index, value))
    }

    /// Binds `value` as an INTEGER, or NULL when it is nil.
    func bind(_ value: Int64?, at index: Int32) throws {
        guard let value else { return try check(sqlite3_bind_null(try openHandle(), index)) }
        try bind(value, at: index)
    }

    // MARK: Stepping

    /// Steps once: `true` when a row is available, `false` when the statement is done.
    func step() throws -> Bool {
        let rc = sqlite3_step(try openHandle())
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError(code: rc, message: SQLiteConnection.message(connection, rc), statement: sql)
        }
    }

    /// Binds with `bind`, steps to completion, then resets the statement and clears its bindings
    /// — also when binding or stepping fails — so it is ready for its next use.
    func run(binding bind: (SQLiteStatement) throws -> Void = { _ in }) throws {
        defer { resetAndClear() }
        try bind(self)
        while try step() {}
    }

    /// Resets the statement (the error of a failed step was already reported by ``step()``) and
    /// clears its bindings, releasing the copies of bound text and blobs.
    func resetAndClear() {
        guard let handle else { return }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Finalizes the statement. Idempotent.
    func finalize() {
        guard let handle else { return }
        self.handle = nil
        sqlite3_finalize(handle)
    }

    // MARK: Columns of the current row

    /// Whether column `column` is NULL.
    func isNull(at column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    /// Column `column` as UTF-8 text (`""` for NULL).
    func text(at column: Int32) -> String {
        // column_text before column_bytes, as SQLite's documentation recommends.
        guard let bytes = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// Column `column` as bytes (`[]` for NULL and zero-length blobs).
    func blob(at column: Int32) -> [UInt8] {
        guard let bytes = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return [UInt8](UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// Column `column` as a 64-bit integer.
    func optionalInt64(at column: Int32) -> Int64? {
        isNull(at: column) ? nil : int64(at: column)
    }

    func int64(at column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    // MARK: Helpers

    private func openHandle() throws -> OpaquePointer {
        guard let handle else { throw SQLiteError.backendClosed }
        return handle
    }

    private func check(_ rc: Int32) throws {
        guard rc == SQLITE_OK else {
            throw SQLiteError(code: rc, message: SQLiteConnection.message(connection, rc), statement: sql)
        }
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies bound bytes before the bind call returns. The C macro
/// `((sqlite3_destructor_type)-1)` does not import into Swift.
private var sqliteTransient: sqlite3_destructor_type {
    unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
