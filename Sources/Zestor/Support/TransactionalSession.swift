package import Logging

/// A database session that runs explicit transactions: the shape `SQLiteSession` and
/// `PostgresSession` share for their failure path. Shared by the backend modules of this package
/// (`package` access), not public API.
package protocol TransactionalSession {
    /// Logs a rollback that failed.
    var logger: Logger { get }
    /// Whether a transaction is open on the connection (the database may already have rolled it
    /// back by itself, e.g. after a constraint error in SQLite or a broken session).
    var isInTransaction: Bool { get }
    /// Sends `ROLLBACK`.
    func rollback() throws
}

extension TransactionalSession {
    /// After `error` ended a transaction half-way: rolls it back if the connection still has it
    /// open. A failing rollback is logged with `error` as its cause, never thrown, so the caller
    /// rethrows the error that matters.
    package func rollbackIfNeeded(after error: any Error) {
        guard isInTransaction else { return }
        do {
            try rollback()
        } catch let rollbackError {
            logger.error("ROLLBACK failed", metadata: ["error": "\(rollbackError)", "cause": "\(error)"])
        }
    }
}
