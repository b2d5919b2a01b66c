import Zestor
/// One PostgreSQL connection (as ``ZestorPostgresTables``) with a dedicated thread of its own.
///
/// Threading: the tables object — its `PGconn*` — is created, used and closed only on the
/// worker's ``BlockingExecutor`` thread; async callers ``run(_:)`` a job there and suspend until
/// the thread resumes them, so no libpq call ever blocks the cooperative pool. Jobs run in
/// submission order, one at a time.
///
/// After ``close()`` every ``run(_:)`` throws ``PostgresError/backendClosed``.
final class ConnectionWorker: Sendable {
    private let executor: BlockingExecutor
    /// The open tables; `nil` once closed. Touched only on `executor`'s thread.
    private let tables: ThreadConfined<ZestorPostgresTables?>

    /// Starts the thread (named `name`) and runs `open` there, blocking the calling thread until it
    /// returns. When `open` throws, the thread is stopped and the error rethrown.
    init(name: String, open: @escaping @Sendable () throws -> ZestorPostgresTables) throws {
        let executor = BlockingExecutor(name: name, closedError: PostgresError.backendClosed)
        let tables = ThreadConfined<ZestorPostgresTables?>(nil, on: executor)
        do {
            try executor.runAndWait {
                let opened = try open()
                tables.withValue { $0 = opened }
            }
        } catch {
            executor.shutdown()
            throw error
        }
        self.executor = executor
        self.tables = tables
    }

    deinit {
        // Not closed by its owner: close on the thread, then let the thread exit.
        let tables = tables
        _ = executor.submit { _ = Self.closeTables(tables) }
        executor.shutdown()
    }

    /// Runs `body` with the open tables on the worker's thread, suspending the caller.
    func run<T: Sendable>(_ body: @escaping @Sendable (ZestorPostgresTables) throws -> T) async throws -> T {
        let tables = tables
        return try await executor.run {
            try tables.withValue { value in
                guard let open = value else { throw PostgresError.backendClosed }
                return try body(open)
            }
        }
    }

    /// Runs `body` with the open tables on the worker's thread, blocking the calling thread (for
    /// synchronous entry points such as ``PostgresBackend/init(url:namespace:options:logger:)``).
    func runAndWait<T: Sendable>(_ body: @escaping @Sendable (ZestorPostgresTables) throws -> T) throws -> T {
        let tables = tables
        return try executor.runAndWait {
            try tables.withValue { value in
                guard let open = value else { throw PostgresError.backendClosed }
                return try body(open)
            }
        }
    }

    /// Closes the connection and stops the thread once the jobs already submitted have run (they
    /// complete first). Returns whether this call closed it (`false` when closed before).
    @discardableResult
    func close() async -> Bool {
        let tables = tables
        defer { executor.shutdown() }
        do {
            return try await executor.run { Self.closeTables(tables) }
        } catch {
            return false  // the executor was shut down already
        }
    }

    /// On the thread: closes and drops the tables; `false` when they were closed before.
    private static func closeTables(_ tables: ThreadConfined<ZestorPostgresTables?>) -> Bool {
        tables.withValue { value in
            guard let open = value else { return false }
            value = nil
            open.close()
            return true
        }
    }
}
