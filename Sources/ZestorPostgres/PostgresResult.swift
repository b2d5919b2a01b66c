import CLibPQ

/// One successful `PGresult*`, read in binary format, freed (`PQclear`) when released.
///
/// Confined, like its ``PostgresConnection``, to the thread that ran the statement. Rows and
/// columns are numbered from 0. Columns are decoded from the binary format requested for every
/// result: text is UTF-8 bytes, `bytea` raw bytes, `int8`/`int4` big-endian integers.
final class PostgresResult {
    private let handle: OpaquePointer
    /// The SQL that produced the result, reported in decoding errors.
    let sql: String

    init(handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    deinit {
        PQclear(handle)
    }

    /// Number of rows returned.
    var rowCount: Int { Int(PQntuples(handle)) }

    /// Number of rows the command affected (`PQcmdTuples`), 0 when it reports none.
    var affectedRows: Int {
        guard let text = PQcmdTuples(handle) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    /// Whether the value at `row`, `column` is SQL NULL.
    func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(handle, Int32(row), Int32(column)) != 0
    }

    /// The raw bytes at `row`, `column` (`[]` for NULL).
    func bytes(_ row: Int, _ column: Int) -> [UInt8] {
        withBytes(row, column) { Array($0) }
    }

    /// The text at `row`, `column`, decoded as UTF-8 (`""` for NULL).
    func text(_ row: Int, _ column: Int) -> String {
        withBytes(row, column) { String(decoding: $0, as: UTF8.self) }
    }

    /// The `int8` or `int4` at `row`, `column`.
    func int64(_ row: Int, _ column: Int) throws -> Int64 {
        try withBytes(row, column) { raw in
            switch raw.count {
            case 8: return raw.reduce(Int64(0)) { $0 << 8 | Int64($1) }
            case 4: return Int64(Int32(bitPattern: raw.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
            default:
                throw PostgresError(message: "column \(column) is not an int4/int8 value (\(raw.count) bytes)", statement: sql)
            }
        }
    }

    /// The `bool` at `row`, `column` (`false` for NULL).
    func bool(_ row: Int, _ column: Int) -> Bool {
        withBytes(row, column) { $0.first.map { $0 != 0 } ?? false }
    }

    private func withBytes<R, E: Error>(_ row: Int, _ column: Int, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        guard length > 0, let value = PQgetvalue(handle, Int32(row), Int32(column)) else {
            return try body(UnsafeBufferPointer(start: nil, count: 0))
        }
        // PQgetvalue's bytes live until PQclear; CChar and UInt8 have the same layout.
        return try body(UnsafeBufferPointer(start: UnsafeRawPointer(value).assumingMemoryBound(to: UInt8.self), count: length))
    }
}
