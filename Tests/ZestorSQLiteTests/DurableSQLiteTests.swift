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

    @Test("passes the conformance suite", .serialized, arguments: ConformanceCase.allCases, [0, 1])
    func conformance(_ testCase: ConformanceCase, mode: Int) async throws {
        let paths = LockedPaths()
        defer { paths.removeAll() }
        // Write-through racy cases wait on hundreds of sequential commits: in the full parallel test
        // run on two cores they take well over the default 10 s bound, without hanging.
        try await ConformanceSuite(rounds: 3, timeout: .seconds(60)) { options in
            let path = Self.temporaryDatabase()
            paths.add(path)
            return try await DurableStore<ConformanceValue>.open(
                backend: try SQLiteBackend(path: path), mode: Self.modes[mode], options: options)
        }.run(testCase)
    }

    @Test("passes the durability suite", arguments: DurabilityCase.allCases)
    func durability(_ testCase: DurabilityCase) async throws {
        try await DurabilitySuite {
            let path = Self.temporaryDatabase()
            return DurableStorage(open: { mode, options in
                try await DurableStore<ConformanceValue>.open(backend: try SQLiteBackend(path: path), mode: mode, options: options)
            }, remove: { Self.cleanUp(path) })
        }.run(testCase)
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
    @Test("two stores on one file: the write that loses the race throws a version conflict, and a retry succeeds")
    func lostRaceOnOneFile() async throws {
        let path = Self.temporaryDatabase()
        defer { Self.cleanUp(path) }
        let first = try await DurableStore<ConformanceValue>.open(backend: try SQLiteBackend(path: path))
        let second = try await DurableStore<ConformanceValue>.open(backend: try SQLiteBackend(path: path))
        try await first.set("k", "a", ConformanceValue(name: "first", n: 1))
        // `second` loaded the file before that write, so it also computes version 1 and loses;
        // it re-reads the key, so it reports the winner's version and shows the winner.
        await #expect(throws: StoreError.versionConflict(kind: "k", key: "a", expected: nil, actual: 1)) {
            try await second.set("k", "a", ConformanceValue(name: "second", n: 1))
        }
        #expect(try second.getVersioned("k", "a") == Versioned(value: ConformanceValue(name: "first", n: 1), version: 1))
        try await second.set("k", "a", ConformanceValue(name: "second", n: 2))
        try await second.delete("k", "a")
        try await first.set("k", "a", ConformanceValue(name: "first", n: 3))  // version 2 on top of a deleted row
        try await first.close()
        try await second.close()
        let reopened = try await DurableStore<ConformanceValue>.open(backend: try SQLiteBackend(path: path))
        #expect(try reopened.getVersioned("k", "a") == Versioned(value: ConformanceValue(name: "first", n: 3), version: 2))
        try await reopened.close()
    }
}
