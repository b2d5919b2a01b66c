extension PersistedRow {
    /// The version as the backends' signed 64-bit version column stores it (SQLite `INTEGER`,
    /// PostgreSQL `BIGINT`). A version above `Int64.max` cannot be stored: `overflow` builds the
    /// backend's own error from a message naming the row, and nothing is written.
    package func storableVersion<Failure: Error>(
        _ overflow: (_ message: String) -> Failure
    ) throws(Failure) -> Int64 {
        guard let version = Int64(exactly: version) else {
            throw overflow("version \(version) of \(kind)/\(key) exceeds the largest storable version (Int64.max)")
        }
        return version
    }
}
