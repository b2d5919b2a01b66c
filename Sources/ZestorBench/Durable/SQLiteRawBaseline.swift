import Foundation
import Zestor

/// `sqlite_raw`: the practical limit of `set_update` on SQLite. One prepared upsert executes rows
/// of random existing keys — the value the JSON of `BenchValue(name: "v", n: counter)`, encoded by
/// the store's own `JSONCodec` — in ONE transaction on one connection (WAL, synchronous NORMAL),
/// for the duration. The final COMMIT is part of the measured time.
enum SQLiteRawBaseline {
    static let name = "sqlite_raw"

    /// Measures on `path`, a store file already holding `keys` (see ``SQLiteFixture``), on a
    /// dedicated thread.
    static func measure(path: String, keys: [String], seconds: Double) async throws -> (ops: Int, seconds: Double) {
        try await DedicatedThread.run(name: "zestor.bench.sqlite_raw") {
            let database = try RawSQLite(path: path)
            try database.execute("PRAGMA journal_mode = WAL")
            try database.execute("PRAGMA synchronous = NORMAL")
            let upsert = try database.prepare(RawSQLite.upsertSQL)
            let codec = JSONCodec<BenchValue>()
            let updatedAt = RawSQLite.timestamp()
            var random = XorShift(seed: 0x9E37_79B9)
            var counter = 1 << 40
            var ops = 0

            let began = DispatchTime.now().uptimeNanoseconds
            let deadline = began + UInt64(seconds * 1e9)
            try database.execute("BEGIN IMMEDIATE")
            while DispatchTime.now().uptimeNanoseconds < deadline {
                for _ in 0..<64 {
                    counter += 1
                    let bytes = try codec.encode(BenchValue(name: "v", n: counter))
                    try bytes.withUnsafeBytes { value in
                        try upsert.upsert(kind: BenchData.kind, key: keys[random.index(below: keys.count)], value: value,
                                          version: Int64(counter), updatedAt: updatedAt)
                    }
                }
                ops += 64
            }
            try database.execute("COMMIT")
            return (ops, Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9)
        }
    }
}
