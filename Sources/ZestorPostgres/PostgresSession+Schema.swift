import Foundation
import Logging
import Zestor

extension PostgresSession {
    /// Creates the tables, index, function and trigger unless they all exist; concurrent
    /// creators serialize on an advisory lock inside one transaction.
    static func createSchemaIfMissing(on connection: PostgresConnection, logger: Logger) throws {
        if try connection.execute(PostgresSessionSQL.schemaExists).bool(0, 0) { return }
        try connection.executeScript(PostgresSessionSQL.begin)
        do {
            try connection.execute(PostgresSessionSQL.advisoryLock,
                                   [.int64(Int64(PostgresSessionSQL.schemaLockClass)), .int64(0)])
            try connection.executeScript(PostgresSessionSQL.createSchema)
            try connection.executeScript(PostgresSessionSQL.commit)
        } catch {
            if connection.isInTransaction { try? connection.executeScript(PostgresSessionSQL.rollback) }
            throw error
        }
        logger.debug("created zestor schema", metadata: ["endpoint": "\(connection.endpoint)"])
    }

}
