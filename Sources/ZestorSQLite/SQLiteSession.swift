import CSQLite
import Logging
import Zestor

/// The `zestor_kv` table on one connection: configuration, schema, cached statements, bulk load
/// and transactional commit.
///
/// Everything here blocks in libsqlite3. In ``SQLiteBackend`` the table — its connection and its
/// statements — is created, used and closed only on the writer thread (`ThreadConfined`).
final class SQLiteSession {
    private let connection: SQLiteConnection
    let logger: Logger
    // Prepared once with SQLITE_PREPARE_PERSISTENT; reset and cleared after every use.
    private let begin: SQLiteStatement
    private let commitStatement: SQLiteStatement
    private let rollbackStatement: SQLiteStatement
    private let upsert: SQLiteStatement
    private let delete: SQLiteStatement
    private let deleteUnlessNewer: SQLiteStatement
    private let setExpiry: SQLiteStatement
    private let insertIfAbsent: SQLiteStatement
    private let replaceIfVersion: SQLiteStatement
    private let deleteIfVersion: SQLiteStatement
    private let selectAll: SQLiteStatement
    private let selectOne: SQLiteStatement
    private let beginRead: SQLiteStatement
    private var isClosed = false

    /// Opens (creating if missing) the database at `path`, applies `options`, creates the schema
    /// if missing and prepares the statements.
    init(path: String, options: SQLiteBackend.Options, logger: Logger) throws {
        let connection = try SQLiteConnection(path: path)
        do {
            // The busy timeout first: switching to WAL and creating the schema may wait for
            // another connection on the same file.
            try connection.setBusyTimeout(milliseconds: options.busyTimeoutMilliseconds)
            let journalSQL = "PRAGMA journal_mode = \(options.journalMode.rawValue)"
            let mode = try connection.queryText(journalSQL)
            guard mode?.uppercased() == options.journalMode.rawValue else {
                throw SQLiteError(
                    code: SQLITE_ERROR,
                    message: "journal_mode is \(mode ?? "NULL"), not \(options.journalMode.rawValue)",
                    statement: journalSQL
                )
            }
            try connection.execute("PRAGMA synchronous = \(options.synchronous.rawValue)")
            try connection.execute(SQLiteSessionSQL.createTable)
            try Self.migrate(connection)
            begin = try connection.prepare(SQLiteSessionSQL.begin, persistent: true)
            commitStatement = try connection.prepare(SQLiteSessionSQL.commit, persistent: true)
            rollbackStatement = try connection.prepare(SQLiteSessionSQL.rollback, persistent: true)
            upsert = try connection.prepare(SQLiteSessionSQL.upsert, persistent: true)
            delete = try connection.prepare(SQLiteSessionSQL.delete, persistent: true)
            deleteUnlessNewer = try connection.prepare(SQLiteSessionSQL.deleteUnlessNewer, persistent: true)
            setExpiry = try connection.prepare(SQLiteSessionSQL.setExpiry, persistent: true)
            insertIfAbsent = try connection.prepare(SQLiteSessionSQL.insertIfAbsent, persistent: true)
            replaceIfVersion = try connection.prepare(SQLiteSessionSQL.replaceIfVersion, persistent: true)
            deleteIfVersion = try connection.prepare(SQLiteSessionSQL.deleteIfVersion, persistent: true)
            selectAll = try connection.prepare(SQLiteSessionSQL.selectAll, persistent: true)
            selectOne = try connection.prepare(SQLiteSessionSQL.selectOne, persistent: true)
            beginRead = try connection.prepare(SQLiteSessionSQL.beginRead, persistent: true)
        } catch {
            // Statements prepared so far finalize in their deinit; close_v2 waits for them.
            try? connection.close()
            throw error
        }
        self.connection = connection
        var logger = logger
        logger[metadataKey: "path"] = "\(path)"  // every report of this session names its file
        self.logger = logger
    }

    deinit {
        try? close()
    }

    /// Every row of `zestor_kv`, read by one statement (one consistent snapshot).
    func loadAll() throws -> [PersistedRow] {
        try checkOpen()
        defer { selectAll.resetAndClear() }
        var rows: [PersistedRow] = []
        while try selectAll.step() {
            rows.append(Self.row(of: selectAll))
        }
        return rows
    }

    /// The row `statement` (``SQLiteSessionSQL/selectAll``'s columns) stands on.
    private static func row(of statement: SQLiteStatement) -> PersistedRow {
        PersistedRow(kind: statement.text(at: 0), key: statement.text(at: 1), value: statement.blob(at: 2),
                     version: UInt64(clamping: statement.int64(at: 3)), expiresAt: statement.optionalInt64(at: 4))
    }

    /// Adds the `expires_at` column to a table made without it (by zestor, or an earlier version
    /// of this package), keeping every row. Inside `BEGIN IMMEDIATE`, so that connections opening
    /// the same file at once migrate it once.
    private static func migrate(_ connection: SQLiteConnection) throws {
        if try connection.queryText(SQLiteSessionSQL.hasExpiresAt) == "1" { return }
        try connection.execute(SQLiteSessionSQL.begin)
        do {
            if try connection.queryText(SQLiteSessionSQL.hasExpiresAt) != "1" {
                try connection.execute(SQLiteSessionSQL.addExpiresAt)
            }
            try connection.execute(SQLiteSessionSQL.commit)
        } catch {
            if !connection.isAutocommit { try? connection.execute(SQLiteSessionSQL.rollback) }
            throw error
        }
    }

    /// The rows of `keys` (absent keys have none), read in one read transaction (one snapshot),
    /// one primary-key probe per key.
    func load(_ keys: [PersistedKey]) throws -> [PersistedRow] {
        try checkOpen()
        try beginRead.run()
        do {
            var rows: [PersistedRow] = []
            for key in keys {
                defer { selectOne.resetAndClear() }
                try selectOne.bind(key.kind, at: 1)
                try selectOne.bind(key.key, at: 2)
                if try selectOne.step() { rows.append(Self.row(of: selectOne)) }
            }
            try commitStatement.run()
            return rows
        } catch {
            rollbackIfNeeded(after: error)
            throw error
        }
    }

    /// Applies `mutations` in order inside `BEGIN IMMEDIATE` … `COMMIT`; on any failure rolls
    /// back and rethrows, leaving the table untouched. An empty batch does nothing.
    func commit(_ mutations: [PersistedMutation]) throws -> CommitReport {
        try checkOpen()
        guard !mutations.isEmpty else { return .allApplied }
        var report = CommitReport()
        try begin.run()
        do {
            for (index, mutation) in mutations.enumerated() where try !apply(mutation) {
                switch mutation {
                case .upsert, .compareAndSet: report.staleUpserts.append(index)
                case .delete, .deleteUnlessNewer, .setExpiry, .compareAndDelete: report.unchanged.append(index)
                }
            }
            try commitStatement.run()
        } catch {
            rollbackIfNeeded(after: error)
            throw error
        }
        return report
    }

    /// Finalizes the statements and closes the connection. Idempotent.
    func close() throws {
        guard !isClosed else { return }
        isClosed = true
        for statement in [begin, commitStatement, rollbackStatement, upsert, delete, deleteUnlessNewer, setExpiry,
                          insertIfAbsent, replaceIfVersion, deleteIfVersion, selectAll, selectOne, beginRead] {
            statement.finalize()
        }
        try connection.close()
    }

    /// Reads `PRAGMA <name>` of this connection (for tests and diagnostics). `name` is trusted
    /// SQL, never user input.
    func pragma(_ name: String) throws -> String? {
        try checkOpen()
        return try connection.queryText("PRAGMA \(name)")
    }

    /// Runs one mutation; returns whether it changed a row (false: an upsert left alone, its
    /// version not newer; a compare-and-set whose row was not at the expected version; a delete or
    /// expiry change that found no row of its version).
    private func apply(_ mutation: PersistedMutation) throws -> Bool {
        switch mutation {
        case .upsert(let row):
            return try write(row, with: upsert)
        case .compareAndSet(let row, expectedVersion: nil):
            return try write(row, with: insertIfAbsent)
        case .compareAndSet(let row, expectedVersion: let expected?):
            return try write(row, with: replaceIfVersion, expectedVersion: expected)
        case .compareAndDelete(let kind, let key, let version):
            try deleteIfVersion.run { statement in
                try statement.bind(kind, at: 1)
                try statement.bind(key, at: 2)
                try statement.bind(Int64(clamping: version), at: 3)
            }
            return connection.lastChanges > 0
        case .delete(let kind, let key):
            try delete.run { statement in
                try statement.bind(kind, at: 1)
                try statement.bind(key, at: 2)
            }
            return connection.lastChanges > 0
        case .deleteUnlessNewer(let kind, let key, let version):
            try deleteUnlessNewer.run { statement in
                try statement.bind(kind, at: 1)
                try statement.bind(key, at: 2)
                try statement.bind(Int64(clamping: version), at: 3)
            }
            return connection.lastChanges > 0
        case .setExpiry(let kind, let key, let version, let expiresAt):
            try setExpiry.run { statement in
                try statement.bind(kind, at: 1)
                try statement.bind(key, at: 2)
                try statement.bind(Int64(clamping: version), at: 3)
                try statement.bind(expiresAt, at: 4)
            }
            return connection.lastChanges > 0
        }
    }

    /// Runs `statement` (``SQLiteSessionSQL/upsert``'s first five parameters, and the expected
    /// version as the sixth when given) for `row`; returns whether it wrote the row.
    private func write(_ row: PersistedRow, with statement: SQLiteStatement, expectedVersion: UInt64? = nil) throws -> Bool {
        let version = try row.storableVersion { SQLiteError(code: SQLITE_MISMATCH, message: $0, statement: statement.sql) }
        try statement.run { bound in
            try bound.bind(row.kind, at: 1)
            try bound.bind(row.key, at: 2)
            try bound.bind(row.value, at: 3)
            try bound.bind(version, at: 4)
            try bound.bind(row.expiresAt, at: 5)
            if let expectedVersion { try bound.bind(Int64(clamping: expectedVersion), at: 6) }
        }
        return connection.lastChanges > 0
    }

    private func checkOpen() throws {
        guard !isClosed else { throw SQLiteError.backendClosed }
    }
}

extension SQLiteSession: TransactionalSession {
    /// SQLite rolls a transaction back by itself on some errors; then it is in autocommit mode again.
    var isInTransaction: Bool { !connection.isAutocommit }

    func rollback() throws {
        try rollbackStatement.run()
    }
}
