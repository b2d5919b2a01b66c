import Zestor

/// Reads of `zestor_kv` together with the position in the namespace's commit order they reflect.
extension PostgresSession {
    /// Every row of the namespace and the position they reflect, read by one statement (one
    /// consistent snapshot): every commit up to `PersistedRows/position` and none after it.
    func loadAll() throws -> PersistedRows {
        try prepareConnection()
        return try Self.positionedRows(connection.execute(PostgresSessionSQL.selectAll, [.int64(namespace)]))
    }

    /// The stored rows of `keys` and the position they reflect, read by one statement.
    func load(_ keys: [PersistedKey]) throws -> PersistedRows {
        try prepareConnection()
        return try Self.positionedRows(connection.execute(PostgresSessionSQL.selectKeys, [
            .int64(namespace), .textArray(keys.map(\.kind)), .textArray(keys.map(\.key)),
        ]))
    }

    /// The rows of a ``PostgresSessionSQL/selectAll`` or ``PostgresSessionSQL/selectKeys`` result:
    /// column 0 the position (in every row), then kind, key, value, version, expires_at (`NULL` in the one row
    /// of a result without stored rows).
    private static func positionedRows(_ result: PostgresResult) throws -> PersistedRows {
        var rows: [PersistedRow] = []
        rows.reserveCapacity(result.rowCount)
        for row in 0..<result.rowCount where !result.isNull(row, 1) {
            rows.append(PersistedRow(
                kind: result.text(row, 1),
                key: result.text(row, 2),
                value: result.bytes(row, 3),
                version: UInt64(clamping: try result.int64(row, 4)),
                expiresAt: result.isNull(row, 5) ? nil : try result.int64(row, 5)
            ))
        }
        let position = result.rowCount > 0 ? UInt64(clamping: try result.int64(0, 0)) : 0
        return PersistedRows(rows: rows, position: position)
    }
}
