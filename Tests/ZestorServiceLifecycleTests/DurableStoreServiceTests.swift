import Foundation
import Logging
import ServiceLifecycle
import Testing
import Zestor
import ZestorServiceLifecycle
import ZestorSQLite

/// `DurableStoreService` in a `ServiceGroup`: graceful shutdown closes the store after flushing.
@Suite("DurableStoreService")
struct DurableStoreServiceTests {
    struct Session: Codable, Equatable, Sendable {
        var user: String
        var n: Int
    }

    static func temporaryDatabase() -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zestor-service-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("store.sqlite").path
    }

    @Test("graceful shutdown commits every acknowledged write-behind write and closes the store", arguments: [false, true])
    func gracefulShutdownFlushes(cancelInstead: Bool) async throws {
        let path = Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        // A flusher that would wait an hour: only the shutdown can have committed the writes.
        let store = try await DurableStore<Session>.open(
            backend: try SQLiteBackend(path: path),
            mode: .writeBehind(WriteBehindPolicy(maxDelay: .seconds(3600), maxBatch: 100_000)))
        let group = ServiceGroup(configuration: .init(
            services: [DurableStoreService(store)], gracefulShutdownSignals: [], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        for n in 0..<1_000 { try await store.set("sessions", "s\(n)", Session(user: "u\(n % 7)", n: n)) }
        #expect(try store.count("sessions") == 1_000)
        #expect(store.writeBehindStatus?.pending == 1_000, "nothing committed before the shutdown")
        if cancelInstead { running.cancel() } else { await group.triggerGracefulShutdown() }
        try await running.value
        await #expect(throws: StoreError.closed) { try await store.set("sessions", "late", Session(user: "x", n: 0)) }

        let reopened = try await DurableStore<Session>.open(backend: try SQLiteBackend(path: path))
        #expect(try reopened.count("sessions") == 1_000)
        #expect(try reopened.get("sessions", "s999") == Session(user: "u5", n: 999))
        try await reopened.close()
    }
}
