import ArgumentParser
import Zestor
import ZestorSQLite

/// Where an inspection command finds its store (`--sqlite PATH`).
struct StoreLocation: ParsableArguments {
    @Option(help: "Path of a SQLite store file (zestor_kv table).")
    var sqlite: String

    /// Opens the store in write-through mode, so every change is committed before the command ends.
    func open() async throws -> DurableStore<JSONValue> {
        try await DurableStore<JSONValue>.open(backend: try SQLiteBackend(path: sqlite), mode: .writeThrough)
    }
}
