import Foundation
import Logging
import Zestor

// Hooks for the tests of this package; not public API.

extension PostgresSession {
    /// Runs `sql` with `parameters` on this connection (tests and diagnostics).
    func query(_ sql: String, _ parameters: [PostgresParameter]) throws -> PostgresResult {
        try prepareConnection()
        return try connection.execute(sql, parameters)
    }

}
