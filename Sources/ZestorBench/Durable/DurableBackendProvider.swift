import Zestor

/// A database the durable workloads run against (SQLite, PostgreSQL). Its subjects are
/// named `<name>_through` and `<name>_behind`, its raw baseline `<name>_raw`.
protocol DurableBackendProvider: Sendable {
    /// `sqlite` or `postgres` (fixed by Benchmarks/README.md).
    var name: String { get }

    /// A backend over fresh, empty storage of its own, named after `label` (one per subject).
    func emptyBackend(_ label: String) async throws -> any PersistenceBackend

    /// Builds, once, storage holding `rows` rows of kind `bench` (`key-<i>`, the JSON of
    /// `BenchValue(name: "v", n: i)`, version 1); returns how to open a backend over it.
    func populatedStorage(rows: Int) async throws -> @Sendable () async throws -> any PersistenceBackend

    /// `<name>_raw set_update 1`: the database's own practical limit for `keys` updated at random,
    /// over storage preloaded with `keys`. Returns the rows written and the seconds they took.
    func measureRawSetUpdate(keys: [String], seconds: Double) async throws -> (ops: Int, seconds: Double)

    /// Two backends over the same fresh, empty storage, each with its own connections, for
    /// `remote_event_latency`; nil when the database has no change feed (SQLite).
    func backendPair(_ label: String) async throws -> (writer: any PersistenceBackend, watcher: any PersistenceBackend)?

    /// Removes everything the provider created (files, tables).
    func cleanUp() async
}
