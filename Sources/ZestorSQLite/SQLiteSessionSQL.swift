/// The SQL of the `zestor_kv` table, compatible with the Go zestor sqlite store, plus the
/// `expires_at` column this package adds (Unix time in milliseconds; NULL: never), which the Go
/// store ignores.
///
/// Every statement that carries data is parameterized; the `now` timestamp is computed by SQLite
/// as ISO-8601 UTC text with milliseconds (`2025-01-31T12:34:56.789Z`).
enum SQLiteSessionSQL {
    static let createTable = """
        CREATE TABLE IF NOT EXISTS zestor_kv(kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, \
        version INTEGER NOT NULL, updated_at TEXT NOT NULL, expires_at INTEGER, PRIMARY KEY(kind, key))
        """

    /// Column: 1 when `zestor_kv` has the `expires_at` column (tables made by zestor or by
    /// earlier versions of this package have not).
    static let hasExpiresAt = "SELECT COUNT(*) FROM pragma_table_info('zestor_kv') WHERE name = 'expires_at'"

    /// The migration of a table without `expires_at`: every row keeps its values and never expires.
    static let addExpiresAt = "ALTER TABLE zestor_kv ADD COLUMN expires_at INTEGER"

    static let now = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

    /// Parameters: kind, key, value, version, expires_at. A row's version only moves forward.
    static let upsert = """
        INSERT INTO zestor_kv(kind, key, value, version, updated_at, expires_at) VALUES(?1, ?2, ?3, ?4, \(now), ?5) \
        ON CONFLICT(kind, key) DO UPDATE SET value = excluded.value, version = excluded.version, \
        updated_at = excluded.updated_at, expires_at = excluded.expires_at WHERE excluded.version > zestor_kv.version
        """

    /// Parameters: kind, key.
    static let delete = "DELETE FROM zestor_kv WHERE kind = ?1 AND key = ?2"

    /// Parameters: kind, key, version. Leaves a newer row alone.
    static let deleteUnlessNewer = "DELETE FROM zestor_kv WHERE kind = ?1 AND key = ?2 AND version <= ?3"

    /// Parameters: kind, key, version, expires_at. Changes only the row of that version.
    static let setExpiry = "UPDATE zestor_kv SET expires_at = ?4 WHERE kind = ?1 AND key = ?2 AND version = ?3"

    /// Parameters: kind, key, value, version, expires_at. Inserts only when the key has no row.
    static let insertIfAbsent = """
        INSERT INTO zestor_kv(kind, key, value, version, updated_at, expires_at) VALUES(?1, ?2, ?3, ?4, \(now), ?5) \
        ON CONFLICT(kind, key) DO NOTHING
        """

    /// Parameters: kind, key, value, version, expires_at, expected version. Replaces only the row
    /// of the expected version.
    static let replaceIfVersion = """
        UPDATE zestor_kv SET value = ?3, version = ?4, updated_at = \(now), expires_at = ?5 \
        WHERE kind = ?1 AND key = ?2 AND version = ?6
        """

    /// Parameters: kind, key, version. Removes only the row of that version.
    static let deleteIfVersion = "DELETE FROM zestor_kv WHERE kind = ?1 AND key = ?2 AND version = ?3"

    /// Columns: kind, key, value, version, expires_at.
    static let selectAll = "SELECT kind, key, value, version, expires_at FROM zestor_kv"

    /// Parameters: kind, key. Columns: those of ``selectAll`` for that row, if any.
    static let selectOne = "SELECT kind, key, value, version, expires_at FROM zestor_kv WHERE kind = ?1 AND key = ?2"

    static let begin = "BEGIN IMMEDIATE"
    /// A read transaction: its reads share one snapshot, and it takes no write lock.
    static let beginRead = "BEGIN DEFERRED"
    static let commit = "COMMIT"
    static let rollback = "ROLLBACK"
}
