import Foundation
import Testing
import Zestor
import ZestorConformance
import ZestorSQLite

/// `DurableStore` over a real SQLite file.
@Suite("DurableStore over SQLite")
struct DurableSQLiteTests {
    static let modes: [WriteMode] = [.writeThrough, .writeBehind(WriteBehindPolicy(maxDelay: .milliseconds(2)))]

    /// A fresh database path in a temporary folder, removed with its WAL files by `cleanUp`.
    static func temporaryDatabase() -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zestor-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("store.sqlite").path
    }

    static func cleanUp(_ path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    @Test("passes the conformance suite", arguments: ConformanceCase.allCases, [0, 1])
    func conformance(_ testCase: ConformanceCase, mode: Int) async throws {
        let paths = LockedPaths()
        defer { paths.removeAll() }
        try await ConformanceSuite(rounds: 3) { options in
            let path = Self.temporaryDatabase()
            paths.add(path)
            return try await DurableStore<ConformanceValue>.open(
                backend: try SQLiteBackend(path: path), mode: Self.modes[mode], options: options)
        }.run(testCase)
    }

    @Test("write, update and delete across kinds survive a reopen with their versions", arguments: [0, 1])
    func roundTrip(mode: Int) async throws {
        let path = Self.temporaryDatabase()
        defer { Self.cleanUp(path) }
        let store = try await DurableStore<ConformanceValue>.open(backend: try SQLiteBackend(path: path), mode: Self.modes[mode])
        for index in 0..<200 { try await store.set("numbers", "n\(index)", ConformanceValue(name: "n", n: index)) }
        try await store.update("numbers", "n7") { $0.n = 700 }
        try await store.delete("numbers", "n8")
        try await store.setMany("letters", ["a": ConformanceValue(name: "a", n: 1), "b": ConformanceValue(name: "b", n: 2)])
        try await store.set("letters", "a", ConformanceValue(name: "a", n: 10))
        let contents = try store.getAll()
        try await store.close()

        let reopened = try await DurableStore<ConformanceValue>.open(backend: try SQLiteBackend(path: path), mode: Self.modes[mode])
        #expect(try reopened.getAll() == contents)
        #expect(try reopened.getVersioned("numbers", "n7")?.version == 2)
        #expect(try reopened.getVersioned("letters", "a")?.version == 2)
        #expect(try reopened.getVersioned("numbers", "n8") == nil)
        try await reopened.close()
    }

    @Test("a second store opened on the same file after flush sees every write")
    func twoStoresOnOneFile() async throws {
        let path = Self.temporaryDatabase()
        defer { Self.cleanUp(path) }
        let writer = try await DurableStore<ConformanceValue>.open(
            backend: try SQLiteBackend(path: path), mode: .writeBehind(WriteBehindPolicy(maxDelay: .seconds(10))))
        for index in 0..<500 { try await writer.set("k", "key-\(index)", ConformanceValue(name: "v", n: index)) }
        try await writer.flush()
        let reader = try await DurableStore<ConformanceValue>.open(backend: try SQLiteBackend(path: path))
        #expect(try reader.count("k") == 500)
        #expect(try reader.get("k", "key-499") == ConformanceValue(name: "v", n: 499))
        try await reader.close()
        try await writer.close()
    }

    @Test("hostile kinds, keys and values round-trip exactly")
    func hostileInput() async throws {
        let path = Self.temporaryDatabase()
        defer { Self.cleanUp(path) }
        let big = String(repeating: "x", count: 1 << 20)
        let entries: [(kind: String, key: String, value: ConformanceValue)] = [
            ("quotes'\"`", "it's \"quoted\"", ConformanceValue(name: "'\"", n: 1)),
            ("'; DROP TABLE zestor_kv; --", "'; DROP TABLE zestor_kv; --", ConformanceValue(name: "'; DROP TABLE zestor_kv; --", n: 2)),
            ("emoji 🦊", "🔑🗝️", ConformanceValue(name: "👍🏽", n: 3)),
            ("עברית", "مفتاح", ConformanceValue(name: "\u{202E}rtl override", n: 4)),
            ("empty key", "", ConformanceValue(name: "", n: 5)),
            ("big", "1 MB", ConformanceValue(name: big, n: 6)),
        ]
        let store = try await DurableStore<ConformanceValue>.open(backend: try SQLiteBackend(path: path))
        for entry in entries { try await store.set(entry.kind, entry.key, entry.value) }
        try await store.close()
        let reopened = try await DurableStore<ConformanceValue>.open(backend: try SQLiteBackend(path: path))
        for entry in entries {
            #expect(try reopened.get(entry.kind, entry.key) == entry.value, "\(entry.kind)/\(entry.key)")
        }
        #expect(try reopened.getAll().count == entries.count)
        try await reopened.close()
    }

    @Test("corrupt stored bytes fail open with the typed error naming kind and key")
    func corruptRow() async throws {
        let path = Self.temporaryDatabase()
        defer { Self.cleanUp(path) }
        let backend = try SQLiteBackend(path: path)
        try await backend.commit([
            .upsert(PersistedRow(kind: "k", key: "fine", value: Array(#"{"name":"a","n":1}"#.utf8), version: 1)),
            .upsert(PersistedRow(kind: "k", key: "broken", value: [0xFF, 0x00, 0x13], version: 1)),
        ])
        try await backend.close()
        await #expect(throws: StoreError.self) {
            _ = try await DurableStore<ConformanceValue>.open(backend: try SQLiteBackend(path: path))
        }
        do {
            _ = try await DurableStore<ConformanceValue>.open(backend: try SQLiteBackend(path: path))
        } catch StoreError.undecodableRow(let kind, let key, _) {
            #expect(kind == "k")
            #expect(key == "broken")
        }
        let skipping = try await DurableStore<ConformanceValue>.open(
            backend: try SQLiteBackend(path: path), undecodableRows: .skipAndLog)
        #expect(try skipping.keys("k") == ["fine"])
        try await skipping.close()
    }
}

/// Paths made by a conformance factory, removed when the test ends.
final class LockedPaths: @unchecked Sendable {
    // @unchecked: `paths` is only accessed while `lock` is held.
    private let lock = NSLock()
    private var paths: [String] = []
    func add(_ path: String) { lock.withLock { paths.append(path) } }
    func removeAll() { for path in lock.withLock({ paths }) { DurableSQLiteTests.cleanUp(path) } }
}

extension DurableSQLiteTests {
    @Test("two stores on one file: the write that loses the race throws a version conflict")
    func lostRaceOnOneFile() async throws {
        let path = Self.temporaryDatabase()
        defer { Self.cleanUp(path) }
        let first = try await DurableStore<ConformanceValue>.open(backend: try SQLiteBackend(path: path))
        let second = try await DurableStore<ConformanceValue>.open(backend: try SQLiteBackend(path: path))
        try await first.set("k", "a", ConformanceValue(name: "first", n: 1))
        // `second` loaded the file before that write, so it also computes version 1 and loses.
        await #expect(throws: StoreError.versionConflict(kind: "k", key: "a", expected: nil, actual: nil)) {
            try await second.set("k", "a", ConformanceValue(name: "second", n: 1))
        }
        #expect(try second.get("k", "a") == nil)
        try await first.close()
        try await second.close()
        let reopened = try await DurableStore<ConformanceValue>.open(backend: try SQLiteBackend(path: path))
        #expect(try reopened.get("k", "a") == ConformanceValue(name: "first", n: 1))
        try await reopened.close()
    }
}
