import CLibPQ
import Foundation

/// A thin owner of one `PGconn*`: connect, run parameterized statements, reset, close.
///
/// A libpq connection must be used by one thread at a time. In ``PostgresBackend`` each
/// connection is opened, used and closed only on its own dedicated thread (`ConnectionThread`,
/// or the change feed's listener thread). Every call here blocks in libpq.
///
/// Every statement that carries values goes through ``execute(_:_:prepared:)`` (`PQexecParams`, binary
/// parameters, binary results); ``executeScript(_:)`` is for fixed SQL without any input (schema).
final class PostgresConnection {
    /// The open handle; `nil` once closed.
    private var handle: OpaquePointer?
    /// SQL → name of the statements prepared in the current session (emptied by ``reset()``).
    private var preparedStatements: [String: String] = [:]
    /// Set when a pipeline could not be left (its results were not all read): the session is
    /// unusable until ``reset()``, so ``isBroken`` reports it.
    private var pipelineStuck = false

    /// Connects to `url` (a `postgres://` URL or a `key=value` connection string). The
    /// `connectTimeout` and `tcpUserTimeout` (whole seconds / milliseconds) and the application
    /// name apply unless the URL sets them itself. Server notices are discarded.
    init(url: String, connectTimeoutSeconds: Int, tcpUserTimeoutMilliseconds: Int, applicationName: String) throws {
        let settings: [(String, String)] = [
            ("connect_timeout", String(max(connectTimeoutSeconds, 1))),
            ("tcp_user_timeout", String(max(tcpUserTimeoutMilliseconds, 0))),
            ("keepalives", "1"),
            ("application_name", applicationName),
            ("client_encoding", "UTF8"),
            // Last, so that what the URL sets overrides the defaults above.
            ("dbname", url),
        ]
        let connection = Self.withCStrings(settings.map(\.0)) { keywords in
            Self.withCStrings(settings.map(\.1)) { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let connection else {
            throw PostgresError(message: "cannot connect: libpq is out of memory")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.errorMessage(connection)
            PQfinish(connection)
            throw PostgresError(message: "cannot connect: \(message)")
        }
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        self.handle = connection
    }

    deinit {
        close()
    }

    /// `host:port/database` of the server, for logs (never the password).
    var endpoint: String {
        guard let handle else { return "closed" }
        let host = PQhost(handle).map { String(cString: $0) } ?? "?"
        let port = PQport(handle).map { String(cString: $0) } ?? "?"
        let database = PQdb(handle).map { String(cString: $0) } ?? "?"
        return "\(host):\(port)/\(database)"
    }

    /// Whether the connection is unusable until ``reset()``: libpq considers it broken
    /// (`CONNECTION_BAD`), or a pipeline could not be left.
    var isBroken: Bool {
        guard let handle else { return true }
        return pipelineStuck || PQstatus(handle) != CONNECTION_OK
    }

    /// Whether a transaction block is open (or failed and awaits ROLLBACK).
    var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// The socket descriptor, for `poll` (−1 when closed).
    var socket: Int32 {
        guard let handle else { return -1 }
        return PQsocket(handle)
    }

    /// Re-establishes a broken connection with the original parameters (`PQreset`).
    func reset() throws {
        let connection = try openHandle()
        preparedStatements.removeAll()
        pipelineStuck = false
        PQreset(connection)
        guard PQstatus(connection) == CONNECTION_OK else {
            throw PostgresError(message: "cannot reconnect: \(Self.errorMessage(connection))")
        }
    }

    /// Runs `sql` with `parameters` (`$1`, `$2`, … in order) and returns its rows. Parameters and
    /// results use the binary format. Throws ``PostgresError`` with the server's SQLSTATE.
    ///
    /// With `prepared`, the statement is prepared once per session (`PQprepare`, named after its
    /// position in the cache) and later runs skip parsing and planning (`PQexecPrepared`).
    @discardableResult
    func execute(_ sql: String, _ parameters: [PostgresParameter] = [], prepared: Bool = false) throws -> PostgresResult {
        let connection = try openHandle()
        let statementName = prepared ? try preparedName(of: sql, parameters) : nil
        let result = try EncodedParameters(parameters, sql: sql).withPointers { values, lengths, formats -> OpaquePointer? in
            if let statementName {
                return PQexecPrepared(connection, statementName, Int32(parameters.count), values, lengths, formats, 1)
            }
            return PQexecParams(connection, sql, Int32(parameters.count), parameters.map(\.typeOID), values, lengths,
                                formats, 1)
        }
        return try check(result, sql: sql)
    }

    /// Runs `statement`, prepared once per session (see ``execute(_:_:prepared:)``).
    @discardableResult
    func execute(_ statement: PostgresStatement) throws -> PostgresResult {
        try execute(statement.sql, statement.parameters, prepared: true)
    }

    /// Runs `statements` (each prepared once per session) in one round trip: libpq pipeline mode
    /// sends them all, then one `Sync`. Outside a transaction block they form one implicit
    /// transaction, committed at the `Sync`
    /// when every statement succeeded and rolled back entirely otherwise. Returns the statements'
    /// results in order; throws the first failure (later statements are skipped by the server).
    /// When sending fails, no `Sync` goes out and the session is given up (``isBroken``): closing
    /// it rolls back whatever was sent. Afterwards the connection is out of pipeline mode again,
    /// or ``isBroken``.
    ///
    /// The server executes a statement only once it received all of it and sends its results
    /// while this thread may still be sending the next one; with a blocking socket, a statement
    /// whose results could fill the socket buffers followed by a large one could deadlock. So
    /// only the last statement may return more than a few rows.
    func executePipeline(_ statements: [PostgresStatement]) throws -> [PostgresResult] {
        let connection = try openHandle()
        guard PQtransactionStatus(connection) == PQTRANS_IDLE else {
            throw PostgresError(message: "a pipeline must start outside a transaction block",
                                statement: statements.first?.sql)
        }
        let names = try statements.map { try preparedName(of: $0.sql, $0.parameters) }
        let encoded = try statements.map { try EncodedParameters($0.parameters, sql: $0.sql) }
        guard PQenterPipelineMode(connection) == 1 else {
            throw PostgresError(message: Self.errorMessage(connection), statement: statements.first?.sql)
        }
        for (index, statement) in statements.enumerated() {
            let count = Int32(statement.parameters.count)
            let queued = encoded[index].withPointers { values, lengths, formats in
                PQsendQueryPrepared(connection, names[index], count, values, lengths, formats, 1)
            }
            guard queued == 1 else {
                pipelineStuck = true
                throw PostgresError(message: Self.errorMessage(connection), statement: statement.sql)
            }
        }
        guard PQpipelineSync(connection) == 1 else {
            pipelineStuck = true
            throw PostgresError(message: Self.errorMessage(connection), statement: statements.last?.sql)
        }
        var results: [PostgresResult] = []
        var firstError: PostgresError?
        for statement in statements {
            // One result per statement, then NULL; a broken connection gives NULL at once.
            var result: OpaquePointer?
            while let next = PQgetResult(connection) {
                if result == nil { result = next } else { PQclear(next) }
            }
            guard let result else {
                firstError = firstError ?? PostgresError(message: "connection lost: \(Self.errorMessage(connection))",
                                                         statement: statement.sql)
                break
            }
            switch PQresultStatus(result) {
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
                results.append(PostgresResult(handle: result, sql: statement.sql))
            case PGRES_PIPELINE_ABORTED:
                PQclear(result)
            default:
                firstError = firstError ?? Self.error(of: result, connection: connection, sql: statement.sql)
                PQclear(result)
            }
        }
        // Up to the Sync's own result: the implicit transaction has ended, committed unless a
        // statement failed; an error of the commit itself comes before it (then a NULL).
        var ends = 0
        while PQstatus(connection) == CONNECTION_OK, ends < 2 {
            guard let next = PQgetResult(connection) else {
                ends += 1
                continue
            }
            let status = PQresultStatus(next)
            if status != PGRES_PIPELINE_SYNC {
                firstError = firstError ?? Self.error(of: next, connection: connection, sql: statements.last?.sql ?? "")
            }
            PQclear(next)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        if PQexitPipelineMode(connection) != 1 {
            pipelineStuck = true
            firstError = firstError ?? PostgresError(message: Self.errorMessage(connection), statement: statements.last?.sql)
        }
        if let firstError { throw firstError }
        return results
    }

    /// Runs fixed SQL — possibly several `;`-separated statements — with the simple query
    /// protocol. Only for SQL without any input (schema DDL, `BEGIN`/`COMMIT`).
    func executeScript(_ sql: String) throws {
        let connection = try openHandle()
        _ = try check(PQexec(connection, sql), sql: sql)
    }

    /// Reads whatever the server sent (`PQconsumeInput`, non-blocking when the socket is readable)
    /// and returns the queued `NOTIFY` messages as (channel, payload), oldest first.
    func consumeNotifications() throws -> [(channel: String, payload: String)] {
        let connection = try openHandle()
        guard PQconsumeInput(connection) == 1 else {
            throw PostgresError(message: "connection lost: \(Self.errorMessage(connection))")
        }
        var notifications: [(channel: String, payload: String)] = []
        while let notification = PQnotifies(connection) {
            notifications.append((String(cString: notification.pointee.relname), String(cString: notification.pointee.extra)))
            PQfreemem(notification)
        }
        return notifications
    }

    /// Closes the connection (`PQfinish`). Idempotent.
    func close() {
        guard let handle else { return }
        self.handle = nil
        PQfinish(handle)
    }

    // MARK: Helpers

    private func openHandle() throws -> OpaquePointer {
        guard let handle else { throw PostgresError.backendClosed }
        return handle
    }

    /// The session's name for `sql`, preparing it (`PQprepare`) on first use.
    private func preparedName(of sql: String, _ parameters: [PostgresParameter]) throws -> String {
        if let name = preparedStatements[sql] { return name }
        let connection = try openHandle()
        let name = "zestor_\(preparedStatements.count)"
        let types = parameters.map(\.typeOID)
        _ = try check(PQprepare(connection, name, sql, Int32(types.count), types), sql: sql)
        preparedStatements[sql] = name
        return name
    }

    /// Turns a `PGresult*` into a ``PostgresResult`` or a thrown ``PostgresError`` (freeing it).
    private func check(_ result: OpaquePointer?, sql: String) throws -> PostgresResult {
        guard let result else {
            throw PostgresError(message: handle.map(Self.errorMessage) ?? "no result", statement: sql)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(handle: result, sql: sql)
        default:
            let error = Self.error(of: result, connection: handle, sql: sql)
            PQclear(result)
            throw error
        }
    }

    /// The SQLSTATE, primary message, detail and hint of a failed result.
    private static func error(of result: OpaquePointer, connection: OpaquePointer?, sql: String) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
        }
        let sqlState = field(UInt8(ascii: "C"))
        var message = field(UInt8(ascii: "M"))
            ?? PQresultErrorMessage(result).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
            ?? connection.map(errorMessage)
            ?? "unknown error"
        if let detail = field(UInt8(ascii: "D")) { message += " (detail: \(detail))" }
        if let hint = field(UInt8(ascii: "H")) { message += " (hint: \(hint))" }
        return PostgresError(sqlState: sqlState, message: message.trimmingWhitespace(), statement: sql)
    }

    /// `PQerrorMessage`, trimmed.
    static func errorMessage(_ connection: OpaquePointer) -> String {
        PQerrorMessage(connection).map { String(cString: $0) }?.trimmingWhitespace() ?? "unknown error"
    }

    /// Calls `body` with a NULL-terminated array of C strings that live for the call.
    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return body(copies.map { $0.map { UnsafePointer($0) } } + [nil])
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let last = view.last, last.isWhitespace { view.removeLast() }
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        return String(view)
    }
}
