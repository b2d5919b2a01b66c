import CSQLite

/// A failure reported by SQLite (or by ``SQLiteBackend`` itself), carrying the result code, the
/// message and the SQL that failed.
///
/// `code` is the primary result code (`SQLITE_BUSY` = 5, `SQLITE_CONSTRAINT` = 19, …) and
/// `extendedCode` the extended one (`SQLITE_CONSTRAINT_TRIGGER` = 1811, …); for primary-only
/// failures both are equal.
///
/// Calls on a closed backend throw ``backendClosed`` (code `SQLITE_MISUSE`); test it with
/// ``isBackendClosed``.
public struct SQLiteError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The primary SQLite result code (`extendedCode & 0xFF`).
    public var code: Int32
    /// The extended SQLite result code.
    public var extendedCode: Int32
    /// What went wrong: `sqlite3_errmsg`, or `sqlite3_errstr` of the code when there is no connection.
    public var message: String
    /// The SQL that failed, if a statement was involved.
    public var statement: String?

    public init(code: Int32, extendedCode: Int32? = nil, message: String, statement: String? = nil) {
        let extended = extendedCode ?? code
        self.code = extended & 0xFF
        self.extendedCode = extended
        self.message = message
        self.statement = statement
    }

    /// Thrown by every call made after ``SQLiteBackend/close()``.
    public static let backendClosed = SQLiteError(code: SQLITE_MISUSE, message: "SQLiteBackend is closed")

    /// Whether this is ``backendClosed``.
    public var isBackendClosed: Bool { self == .backendClosed }

    public var description: String {
        var text = "SQLiteError(\(extendedCode == code ? "\(code)" : "\(code)/\(extendedCode)") \(Self.codeName(code))): \(message)"
        if let statement { text += " — in: \(statement)" }
        return text
    }

    /// `sqlite3_errstr` of a result code, e.g. "database is locked".
    static func codeName(_ code: Int32) -> String {
        sqlite3_errstr(code).map { String(cString: $0) } ?? "unknown error"
    }
}
