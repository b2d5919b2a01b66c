import Foundation
import ZestorSQLite

/// Builds a SQLite store file holding `key-0` … `key-<rows-1>` of kind `bench` at version 1, each
/// the JSON of `BenchValue(name: "v", n: index)` — fast: one raw transaction, `synchronous=OFF`.
enum SQLiteFixture {
    static func build(path: String, rows: Int) async throws {
        // The backend creates the file with exactly the library's schema (and WAL mode).
        try await SQLiteBackend(path: path).close()
        try await DedicatedThread.run(name: "zestor.bench.fixture") {
            let database = try RawSQLite(path: path)
            try database.execute("PRAGMA synchronous = OFF")
            let insert = try database.prepare(RawSQLite.upsertSQL)
            let updatedAt = RawSQLite.timestamp()
            try database.execute("BEGIN IMMEDIATE")
            for index in 0..<rows {
                var json = #"{"name":"v","n":\#(index)}"#
                try json.withUTF8 { bytes in
                    try insert.upsert(kind: BenchData.kind, key: "key-\(index)", value: UnsafeRawBufferPointer(bytes),
                                      version: 1, updatedAt: updatedAt)
                }
            }
            try database.execute("COMMIT")
            // A file at rest: everything in the main database, nothing left in the WAL.
            try database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }
}
