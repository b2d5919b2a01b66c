// Hooks for the tests of this package; not public API.

extension SQLiteBackend {
    /// Reads `PRAGMA <name>` of the writer connection, e.g. `pragma("journal_mode")` → `"wal"`.
    /// For tests and diagnostics; `name` is trusted SQL.
    func pragma(_ name: String) async throws -> String? {
        try await writer.run { try $0.pragma(name) }
    }
}
