import Zestor
import ZestorSQLite

/// The durable workloads on SQLite: database files in a scratch directory under the system
/// temporary directory, removed by ``cleanUp()``.
final class SQLiteProvider: DurableBackendProvider {
    private let directory: ScratchDirectory
    var name: String { "sqlite" }

    init() throws {
        directory = try ScratchDirectory()
    }

    func emptyBackend(_ label: String) async throws -> any PersistenceBackend {
        try SQLiteBackend(path: directory.file("\(label).sqlite"))
    }

    func populatedStorage(rows: Int) async throws -> @Sendable () async throws -> any PersistenceBackend {
        let path = directory.file("populated-\(rows).sqlite")
        try await SQLiteFixture.build(path: path, rows: rows)
        return { try SQLiteBackend(path: path) }
    }

    func measureRawSetUpdate(keys: [String], seconds: Double) async throws -> (ops: Int, seconds: Double) {
        let path = directory.file("raw.sqlite")
        try await SQLiteFixture.build(path: path, rows: keys.count)
        return try await SQLiteRawBaseline.measure(path: path, keys: keys, seconds: seconds)
    }

    /// SQLite has no change feed: no remote events to measure.
    func backendPair(_ label: String) async throws -> (writer: any PersistenceBackend, watcher: any PersistenceBackend)? {
        nil
    }

    func cleanUp() async {
        directory.remove()
    }
}
