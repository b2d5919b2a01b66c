import Foundation
import Testing
import Zestor
import ZestorSQLite

/// Concurrent writers and a watcher on a DurableStore over SQLite, in both modes. Run under
/// Thread Sanitizer by `Scripts/tsan.sh`. The watcher's reconstruction, the store's memory and
/// the file reopened afterwards must all agree.
@Suite("Durable stress")
struct DurableStressTests {
    @Test(arguments: [0, 1])
    func writersWatcherAndReopenAgree(mode: Int) async throws {
        let path = DurableSQLiteTests.temporaryDatabase()
        defer { DurableSQLiteTests.cleanUp(path) }
        let writeMode = DurableSQLiteTests.modes[mode]
        let store = try await DurableStore<Int>.open(backend: try SQLiteBackend(path: path), mode: writeMode)
        let watch = try store.watch("stress", options: WatchOptions(bufferSize: 1 << 16))
        let consumer = Task {
            var state: [String: Int] = [:]
            for try await event in watch {
                switch event.type {
                case .create, .update: state[event.key] = event.value
                case .delete: state[event.key] = nil
                }
            }
            return state
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    var random = SystemRandomNumberGenerator()
                    for op in 0..<150 {
                        let key = "k\(Int.random(in: 0..<40, using: &random))"
                        switch op % 7 {
                        case 0: try await store.delete("stress", key)
                        case 1: _ = try? await store.update("stress", key) { $0 += 1 }
                        case 2: try await store.setMany("stress", [key: op, "own\(writer)": -op])
                        default: try await store.set("stress", key, writer * 1_000 + op)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let final = try store.list("stress", where: [])
        let versions = try Dictionary(uniqueKeysWithValues: final.keys.map { ($0, try store.getVersioned("stress", $0)!.version) })
        try await store.close()
        let watched = try await consumer.value
        #expect(watched == final, "the watcher's reconstruction equals the final state")

        let reopened = try await DurableStore<Int>.open(backend: try SQLiteBackend(path: path))
        #expect(try reopened.list("stress", where: []) == final, "the file holds exactly the final state")
        for (key, version) in versions {
            #expect(try reopened.getVersioned("stress", key)?.version == version, "version of \(key)")
        }
        try await reopened.close()
    }
}
