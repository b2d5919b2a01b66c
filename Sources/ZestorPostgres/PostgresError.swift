/// A failure reported by PostgreSQL or libpq (or by ``PostgresBackend`` itself), carrying the
/// SQLSTATE, the message and the SQL that failed.
///
/// `sqlState` is the five-character SQLSTATE of a server error (`"23505"` unique violation,
/// `"40001"` serialization failure, `"57014"` statement timeout, …); it is `nil` for failures that
/// have none: a connection that cannot be opened or was lost, or a check made by the backend itself.
///
/// Calls on a closed backend throw ``backendClosed``; test it with ``isBackendClosed``.
public struct PostgresError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The SQLSTATE code, e.g. `"42P01"` (undefined table); `nil` when the server sent none.
    public var sqlState: String?
    /// What went wrong: the server's primary message (with its detail and hint, when present), or
    /// libpq's `PQerrorMessage`.
    public var message: String
    /// The SQL that failed, if a statement was involved.
    public var statement: String?

    public init(sqlState: String? = nil, message: String, statement: String? = nil) {
        self.sqlState = sqlState
        self.message = message
        self.statement = statement
    }

    /// Thrown by every call made after ``PostgresBackend/close()``.
    public static let backendClosed = PostgresError(message: "PostgresBackend is closed")

    /// Whether this is ``backendClosed``.
    public var isBackendClosed: Bool { self == .backendClosed }

    /// Whether the connection itself failed (SQLSTATE class `08`, or a libpq failure without
    /// SQLSTATE other than ``backendClosed``): the next call reconnects.
    public var isConnectionFailure: Bool {
        guard let sqlState else { return !isBackendClosed }
        return sqlState.hasPrefix("08")
    }

    public var description: String {
        var text = "PostgresError(\(sqlState ?? "no SQLSTATE")): \(message)"
        if let statement { text += " — in: \(statement)" }
        return text
    }
}
