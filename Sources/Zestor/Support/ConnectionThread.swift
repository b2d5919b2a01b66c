/// One database connection owned by a dedicated thread of its own: the single shape of the
/// backends' connection owners (`SQLiteBackend`'s writer, `PostgresBackend`'s writer and readers).
///
/// Threading: the connection is opened, used and closed only on the thread of a
/// ``BlockingExecutor``; async callers ``run(_:)`` a job there and suspend until the thread
/// resumes them, so no blocking library call ever runs on the cooperative pool. Jobs run in
/// submission order, one at a time. `Connection` need not be `Sendable`: it never leaves the
/// thread (``ThreadConfined``).
///
/// After ``close()`` every ``run(_:)`` throws the `closedError` given at creation.
/// Shared by the backend modules of this package (`package` access), not public API.
package final class ConnectionThread<Connection>: Sendable {
    private let executor: BlockingExecutor
    /// The open connection; `nil` once closed. Touched only on `executor`'s thread.
    private let connection: ThreadConfined<Connection?>
    private let closeConnection: @Sendable (Connection) throws -> Void
    private let closedError: any Error

    /// Starts the thread (named `name`) and runs `open` there, blocking the calling thread until
    /// it returns. When `open` throws, the thread is stopped and the error rethrown.
    /// - Parameters:
    ///   - name: the thread's name (shown by debuggers and `top -H`).
    ///   - closedError: thrown by every call once the connection is closed.
    ///   - open: opens the connection, on the thread.
    ///   - close: closes the connection, on the thread; run by ``close()`` or, for a connection
    ///     its owner never closed, at deinit (its error then ignored).
    package init(name: String, closedError: any Error,
                 open: @escaping @Sendable () throws -> Connection,
                 close: @escaping @Sendable (Connection) throws -> Void) throws {
        let executor = BlockingExecutor(name: name, closedError: closedError)
        let connection = ThreadConfined<Connection?>(nil, on: executor)
        do {
            try executor.runAndWait {
                let opened = try open()
                connection.withValue { $0 = opened }
            }
        } catch {
            executor.shutdown()
            throw error
        }
        self.executor = executor
        self.connection = connection
        self.closeConnection = close
        self.closedError = closedError
    }

    deinit {
        // Not closed by its owner: close on the thread, then let the thread exit.
        let connection = connection
        let close = closeConnection
        _ = executor.submit { _ = try? Self.take(connection).map(close) }
        executor.shutdown()
    }

    /// Runs `body` with the open connection on the thread, suspending the caller. The job runs to
    /// completion even if the calling task is cancelled.
    package func run<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        let connection = connection
        let closedError = closedError
        return try await executor.run {
            try connection.withValue { value in
                guard let open = value else { throw closedError }
                return try body(open)
            }
        }
    }

    /// Runs `body` with the open connection on the thread, blocking the calling thread (for
    /// synchronous entry points such as a backend's `init`). Never call it from the thread itself.
    package func runAndWait<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) throws -> T {
        let connection = connection
        let closedError = closedError
        return try executor.runAndWait {
            try connection.withValue { value in
                guard let open = value else { throw closedError }
                return try body(open)
            }
        }
    }

    /// Closes the connection and stops the thread once the jobs already submitted have run (they
    /// complete first). Returns `false` when it was closed before; rethrows the close's error
    /// (the connection is dropped either way). Concurrent calls are fine: one of them closes.
    @discardableResult
    package func close() async throws -> Bool {
        let connection = connection
        let close = closeConnection
        defer { executor.shutdown() }
        let outcome: Result<Bool, any Error>
        do {
            outcome = try await executor.run { () -> Result<Bool, any Error> in
                guard let open = Self.take(connection) else { return .success(false) }
                return Result { try close(open); return true }
            }
        } catch {
            return false  // not accepted: the thread was shut down by an earlier close
        }
        return try outcome.get()
    }

    /// On the thread: removes and returns the open connection, or nil when closed before.
    private static func take(_ connection: ThreadConfined<Connection?>) -> Connection? {
        connection.withValue { value in
            defer { value = nil }
            return value
        }
    }
}
