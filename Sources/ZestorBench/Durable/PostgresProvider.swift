import Foundation
import Synchronization
import Zestor
import ZestorPostgres

/// The durable workloads on the PostgreSQL database at `url`. Every backend it hands out lives in
/// a fresh random namespace (`ns_id`), so runs and subjects never see each other's rows;
/// ``cleanUp()`` deletes those namespaces' rows and outbox entries.
final class PostgresProvider: DurableBackendProvider {
    let url: String
    /// The namespaces created so far, for ``cleanUp()``.
    private let namespaces = Mutex<[Int64]>([])
    /// Upserts per `commit` when loading rows in bulk (multi-row statements).
    private static let bulkBatch = 20_000
    /// Deletes per `commit` in ``cleanUp()``: bounded transactions, so cleaning up a large run
    /// never holds the namespace lock for long.
    private static let deleteBatch = 1_000
    var name: String { "postgres" }

    init(url: String) {
        self.url = url
    }

    func emptyBackend(_ label: String) async throws -> any PersistenceBackend {
        try await backend(namespace: freshNamespace())
    }

    func populatedStorage(rows: Int) async throws -> @Sendable () async throws -> any PersistenceBackend {
        let namespace = freshNamespace()
        let backend = try await backend(namespace: namespace)
        let codec = JSONCodec<BenchValue>()
        for start in stride(from: 0, to: rows, by: Self.bulkBatch) {
            let batch = try (start..<min(start + Self.bulkBatch, rows)).map { index in
                PersistedMutation.upsert(PersistedRow(kind: BenchData.kind, key: "key-\(index)",
                                                      value: try codec.encode(BenchValue(name: "v", n: index)),
                                                      version: 1))
            }
            try await backend.commit(batch)
        }
        try await backend.close()
        return { [self] in try await self.backend(namespace: namespace) }
    }

    func measureRawSetUpdate(keys: [String], seconds: Double) async throws -> (ops: Int, seconds: Double) {
        let backend = try await backend(namespace: freshNamespace())
        do {
            let result = try await PostgresRawBaseline.measure(backend, keys: keys, seconds: seconds)
            try await backend.close()
            return result
        } catch {
            try? await backend.close()
            throw error
        }
    }

    func backendPair(_ label: String) async throws -> (writer: any PersistenceBackend, watcher: any PersistenceBackend)? {
        let namespace = freshNamespace()
        return (try await backend(namespace: namespace), try await backend(namespace: namespace))
    }

    /// Deletes every row of the namespaces this provider created, then their outbox entries
    /// (a prune with zero retention). Failures are reported on standard error, not thrown.
    func cleanUp() async {
        let created = namespaces.withLock { namespaces in
            defer { namespaces.removeAll() }
            return namespaces
        }
        for namespace in created {
            do {
                let backend = try await backend(namespace: namespace, options: .init(outboxRetention: .zero))
                let rows = try await backend.loadAll()
                for start in stride(from: 0, to: rows.count, by: Self.deleteBatch) {
                    try await backend.commit(rows[start..<min(start + Self.deleteBatch, rows.count)].map {
                        .delete(kind: $0.kind, key: $0.key)
                    })
                }
                try await backend.pruneOutbox()
                try await backend.close()
            } catch {
                FileHandle.standardError.write(Data("bench: could not clean PostgreSQL namespace \(namespace): \(error)\n".utf8))
            }
        }
    }

    /// A new random positive namespace, remembered for ``cleanUp()``.
    private func freshNamespace() -> Int64 {
        let namespace = Int64.random(in: 1...Int64.max)
        namespaces.withLock { $0.append(namespace) }
        return namespace
    }

    /// Connects on a dedicated thread: `PostgresBackend.init` blocks while it connects.
    private func backend(namespace: Int64, options: PostgresBackend.Options = .init()) async throws -> PostgresBackend {
        let url = url
        return try await DedicatedThread.run(name: "zestor.bench.postgres.connect") {
            try PostgresBackend(url: url, namespace: namespace, options: options)
        }
    }
}
