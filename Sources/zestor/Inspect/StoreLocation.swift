import ArgumentParser
import Zestor
import ZestorPostgres
import ZestorSQLite

/// Where an inspection command finds its store: `--sqlite PATH`, or `--postgres URL` with
/// `--namespace N`.
struct StoreLocation: ParsableArguments {
    @Option(help: "Path of a SQLite store file (zestor_kv table).")
    var sqlite: String?

    @Option(help: "URL of a PostgreSQL database holding zestor_kv (e.g. postgres://user@host:5432/db).")
    var postgres: String?

    @Option(help: "With --postgres: the namespace (tenant) to use.")
    var namespace: Int64 = 0

    func validate() throws {
        guard (sqlite == nil) != (postgres == nil) else {
            throw ValidationError("give exactly one of --sqlite PATH or --postgres URL")
        }
    }

    /// Opens the store in write-through mode, so every change is committed before the command ends.
    func open() async throws -> DurableStore<JSONValue> {
        if let sqlite {
            return try await DurableStore<JSONValue>.open(backend: try SQLiteBackend(path: sqlite), mode: .writeThrough)
        }
        return try await DurableStore<JSONValue>.open(
            backend: try PostgresBackend(url: postgres ?? "", namespace: namespace), mode: .writeThrough)
    }
}
