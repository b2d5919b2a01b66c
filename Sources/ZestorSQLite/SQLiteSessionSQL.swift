/// The SQL of the `zestor_kv` table, compatible with the Go zestor sqlite store.
///
/// Every statement that carries data is parameterized; the `now` timestamp is computed by SQLite
/// as ISO-8601 UTC text with milliseconds (`2025-01-31T12:34:56.789Z`).
enum SQLiteSessionSQL {
    static let createTable = """
        CREATE TABLE IF NOT EXISTS zestor_kv(kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, \
        version INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY(kind, key))
        """

    static let now = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

    /// Parameters: kind, key, value, version. A row's version only moves forward.
    static let upsert = """
        INSERT INTO zestor_kv(kind, key, value, version, updated_at) VALUES(?1, ?2, ?3, ?4, \(now)) \
        ON CONFLICT(kind, key) DO UPDATE SET value = excluded.value, version = excluded.version, \
        updated_at = excluded.updated_at WHERE excluded.version > zestor_kv.version
        """

    /// Parameters: kind, key.
    static let delete = "DELETE FROM zestor_kv WHERE kind = ?1 AND key = ?2"

    /// Columns: kind, key, value, version.
    static let selectAll = "SELECT kind, key, value, version FROM zestor_kv"

    /// Parameters: kind, key. Columns: kind, key, value, version of that row, if any.
    static let selectOne = "SELECT kind, key, value, version FROM zestor_kv WHERE kind = ?1 AND key = ?2"

    static let begin = "BEGIN IMMEDIATE"
    /// A read transaction: its reads share one snapshot, and it takes no write lock.
    static let beginRead = "BEGIN DEFERRED"
    static let commit = "COMMIT"
    static let rollback = "ROLLBACK"
}
