import Foundation
import Testing
import Zestor
@testable import ZestorSQLite

/// A fresh directory per test holding the database file (and its -wal/-shm companions); removed
/// afterwards.
private func withDatabase(_ body: (_ path: String) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("zestor-sqlite-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try await body(directory.appendingPathComponent("zestor.db").path)
}

private func row(_ kind: String, _ key: String, _ value: [UInt8], _ version: UInt64) -> PersistedRow {
    PersistedRow(kind: kind, key: key, value: value, version: version)
}

private func sorted(_ rows: [PersistedRow]) -> [PersistedRow] {
    rows.sorted { ($0.kind, $0.key) < ($1.kind, $1.key) }
}

/// Runs a query on a separate raw connection and returns every row as text columns.
private func rawQuery(_ path: String, _ sql: String, columns: Int32) throws -> [[String]] {
    let connection = try SQLiteConnection(path: path)
    defer { try? connection.close() }
    let statement = try connection.prepare(sql)
    defer { statement.finalize() }
    var rows: [[String]] = []
    while try statement.step() {
        rows.append((0..<columns).map { statement.text(at: $0) })
    }
    return rows
}

// Primary SQLite result codes used below.
private let sqliteConstraint: Int32 = 19
private let sqliteMismatch: Int32 = 20
private let sqliteMisuse: Int32 = 21
private let sqliteCantOpen: Int32 = 14

@Suite("SQLiteBackend")
struct SQLiteBackendTests {
    @Test("a negative busy timeout throws outOfRange and creates no file")
    func busyTimeoutOutOfRange() async throws {
        try await withDatabase { path in
            #expect(throws: StoreError.outOfRange(parameter: "SQLiteBackend.Options.busyTimeout",
                                                  value: "\(Duration.seconds(-1))", requirement: "zero or more")) {
                _ = try SQLiteBackend(path: path, options: .init(busyTimeout: .seconds(-1)))
            }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("commit upserts and deletes, loadAll returns the rows")
    func commitThenLoad() async throws {
        try await withDatabase { path in
            let backend = try SQLiteBackend(path: path)
            #expect(try await backend.loadAll().isEmpty)
            try await backend.commit([
                .upsert(row("user", "a", [1], 1)),
                .upsert(row("user", "b", [2, 2], 1)),
                .upsert(row("item", "a", [3], 1)),
            ])
            try await backend.commit([
                .upsert(row("user", "a", [9], 2)),
                .delete(kind: "user", key: "b"),
                .delete(kind: "user", key: "missing"),
            ])
            try await backend.commit([])
            #expect(sorted(try await backend.loadAll()) == [row("item", "a", [3], 1), row("user", "a", [9], 2)])
            try await backend.close()

            let reopened = try SQLiteBackend(path: path)
            #expect(sorted(try await reopened.loadAll()) == [row("item", "a", [3], 1), row("user", "a", [9], 2)])
            try await reopened.close()
        }
    }

    @Test("mutations of one key apply in order within a batch")
    func orderWithinBatch() async throws {
        try await withDatabase { path in
            let backend = try SQLiteBackend(path: path)
            try await backend.commit([
                .upsert(row("k", "x", [1], 1)),
                .delete(kind: "k", key: "x"),
                .upsert(row("k", "x", [3], 3)),
                .upsert(row("k", "y", [1], 1)),
                .delete(kind: "k", key: "y"),
            ])
            #expect(try await backend.loadAll() == [row("k", "x", [3], 3)])
            try await backend.close()
        }
    }

    @Test("a row's version only moves forward")
    func versionsOnlyMoveForward() async throws {
        try await withDatabase { path in
            let backend = try SQLiteBackend(path: path)
            try await backend.commit([.upsert(row("k", "x", [2], 2))])
            try await backend.commit([.upsert(row("k", "x", [1], 1))])  // lower: ignored
            try await backend.commit([.upsert(row("k", "x", [22], 2))])  // equal: ignored
            #expect(try await backend.loadAll() == [row("k", "x", [2], 2)])
            try await backend.commit([.upsert(row("k", "x", [3], 3)), .upsert(row("k", "x", [0], 1))])
            #expect(try await backend.loadAll() == [row("k", "x", [3], 3)])
            // Int64.max is the largest storable version.
            try await backend.commit([.upsert(row("k", "x", [4], UInt64(Int64.max)))])
            #expect(try await backend.loadAll() == [row("k", "x", [4], UInt64(Int64.max))])
            try await backend.close()
        }
    }

    @Test("updated_at is ISO-8601 UTC text and moves with the row")
    func updatedAt() async throws {
        try await withDatabase { path in
            let backend = try SQLiteBackend(path: path)
            try await backend.commit([.upsert(row("k", "x", [1], 1))])
            let stamps = try rawQuery(path, "SELECT updated_at, typeof(updated_at) FROM zestor_kv", columns: 2)
            #expect(stamps.count == 1)
            #expect(stamps.first?.last == "text")
            let stamp = try #require(stamps.first?.first)
            #expect(stamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(stamp)")

            try await Task.sleep(for: .milliseconds(20))
            try await backend.commit([.upsert(row("k", "x", [2], 2))])
            let updated = try #require(try rawQuery(path, "SELECT updated_at FROM zestor_kv", columns: 1).first?.first)
            #expect(updated > stamp)  // ISO-8601 text sorts chronologically
            try await Task.sleep(for: .milliseconds(20))
            try await backend.commit([.upsert(row("k", "x", [3], 1))])  // ignored: the stamp stays
            #expect(try rawQuery(path, "SELECT updated_at FROM zestor_kv", columns: 1) == [[updated]])
            try await backend.close()
        }
    }

    @Test("a batch that fails midway is rolled back and leaves nothing")
    func failingBatchLeavesNothing() async throws {
        try await withDatabase { path in
            let backend = try SQLiteBackend(path: path)
            try await backend.commit([.upsert(row("k", "kept", [1], 1))])
            // The second upsert's version does not fit SQLite's INTEGER: the first one is rolled back.
            let error = try await #require(throws: SQLiteError.self) {
                try await backend.commit([
                    .upsert(row("k", "new", [1], 1)),
                    .upsert(row("k", "kept", [2], 2)),
                    .upsert(row("k", "huge", [1], UInt64(Int64.max) + 1)),
                ])
            }
            #expect(error.code == sqliteMismatch)
            #expect(error.statement?.hasPrefix("INSERT INTO zestor_kv") == true)
            #expect(try await backend.loadAll() == [row("k", "kept", [1], 1)])
            // The connection is usable again: the transaction is not left open.
            try await backend.commit([.upsert(row("k", "after", [1], 1))])
            #expect(sorted(try await backend.loadAll()) == [row("k", "after", [1], 1), row("k", "kept", [1], 1)])
            try await backend.close()
        }
    }

    @Test("a statement SQLite rejects rolls the batch back and reports code, message and SQL")
    func sqliteFailureRollsBack() async throws {
        try await withDatabase { path in
            let backend = try SQLiteBackend(path: path)
            try await backend.commit([.upsert(row("k", "kept", [1], 1))])
            // Another connection adds a trigger that rejects one key.
            let raw = try SQLiteConnection(path: path)
            try raw.setBusyTimeout(milliseconds: 5000)
            try raw.execute("""
                CREATE TRIGGER reject_boom BEFORE INSERT ON zestor_kv WHEN NEW.key = 'boom'
                BEGIN SELECT RAISE(ABORT, 'boom rejected'); END
                """)
            try raw.close()

            let error = try await #require(throws: SQLiteError.self) {
                try await backend.commit([
                    .delete(kind: "k", key: "kept"),
                    .upsert(row("k", "fine", [1], 1)),
                    .upsert(row("k", "boom", [1], 1)),
                ])
            }
            #expect(error.code == sqliteConstraint)
            #expect(error.message == "boom rejected")
            #expect(error.statement == SQLiteSessionSQL.upsert)
            #expect(error.description.contains("boom rejected"))
            #expect(try await backend.loadAll() == [row("k", "kept", [1], 1)])
            try await backend.close()
        }
    }

    @Test("hostile kinds, keys and values round-trip exactly")
    func hostileRoundTrip() async throws {
        try await withDatabase { path in
            let backend = try SQLiteBackend(path: path)
            let megabyte = (0..<1_048_576).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let strings = [
                "", "'", "\"", "''", "'; DROP TABLE zestor_kv; --", "Robert'); DROP TABLE zestor_kv;--",
                "😀👩‍👩‍👧‍👦🇫🇷", "שלום עולם", "مرحبا", "\u{202E}reversed", "e\u{301}", "é", "tab\tnew\nline\r",
                "%s %d ?1 :name @x $y", "\\", "日本語のキー", String(repeating: "k", count: 10_000),
            ]
            var rows: [PersistedRow] = []
            for (index, text) in strings.enumerated() {
                rows.append(row(text, "key-\(index)", [UInt8(index)], 1))
                rows.append(row("kind-\(index)", text, [UInt8(index), 0, 255], UInt64(index + 1)))
            }
            rows.append(row("values", "empty", [], 1))
            rows.append(row("values", "zeros", [0, 0, 0], 1))
            rows.append(row("values", "megabyte", megabyte, 7))
            try await backend.commit(rows.map { .upsert($0) })

            let loaded = try await backend.loadAll()
            #expect(loaded.count == rows.count)
            #expect(Set(loaded) == Set(rows))
            // "é" and "e\u{301}" are equal Swift strings but distinct keys: the bytes must survive.
            let kinds = Set(loaded.map { Array($0.kind.utf8) })
            #expect(kinds.contains(Array("e\u{301}".utf8)))
            #expect(kinds.contains(Array("é".utf8)))
            #expect(loaded.first { $0.key == "empty" }?.value == [])
            #expect(loaded.first { $0.key == "megabyte" }?.value == megabyte)

            // The table survived the injection attempts and empty values are blobs, not NULL.
            let types = try rawQuery(path, "SELECT typeof(value) FROM zestor_kv WHERE key = 'empty'", columns: 1)
            #expect(types == [["blob"]])
            try await backend.commit(rows.map { .delete(kind: $0.kind, key: $0.key) })
            #expect(try await backend.loadAll().isEmpty)
            try await backend.close()
        }
    }

    @Test("two backends on one file see each other's commits")
    func twoBackendsOneFile() async throws {
        try await withDatabase { path in
            let first = try SQLiteBackend(path: path)
            let second = try SQLiteBackend(path: path)
            try await first.commit([.upsert(row("k", "from-first", [1], 1))])
            #expect(try await second.loadAll() == [row("k", "from-first", [1], 1)])
            try await second.commit([.upsert(row("k", "from-second", [2], 1)), .upsert(row("k", "from-first", [3], 2))])
            #expect(sorted(try await first.loadAll()) == [row("k", "from-first", [3], 2), row("k", "from-second", [2], 1)])

            // Concurrent writers on both backends: busy timeout + BEGIN IMMEDIATE serialize them.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    let backend = index.isMultiple(of: 2) ? first : second
                    group.addTask { try await backend.commit([.upsert(row("c", "\(index)", [UInt8(index)], 1))]) }
                }
                try await group.waitForAll()
            }
            #expect(try await first.loadAll().count == 42)
            #expect(try await second.loadAll().count == 42)
            try await first.close()
            try await second.close()
        }
    }

    @Test("many concurrent commits on one backend all land")
    func concurrentCommits() async throws {
        try await withDatabase { path in
            let backend = try SQLiteBackend(path: path)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await backend.commit([.upsert(row("c", "\(index)", Array("\(index)".utf8), 1))])
                    }
                }
                try await group.waitForAll()
            }
            let loaded = try await backend.loadAll()
            #expect(Set(loaded) == Set((0..<200).map { row("c", "\($0)", Array("\($0)".utf8), 1) }))
            try await backend.close()
        }
    }

    @Test("the schema is exactly the zestor_kv table")
    func schema() async throws {
        try await withDatabase { path in
            let backend = try SQLiteBackend(path: path)
            #expect(FileManager.default.fileExists(atPath: path))
            let tables = try rawQuery(path, "SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'view', 'trigger') ORDER BY name", columns: 3)
            #expect(tables == [[
                "table", "zestor_kv",
                "CREATE TABLE zestor_kv(kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL, expires_at INTEGER, PRIMARY KEY(kind, key))",
            ]])
            let columns = try rawQuery(path, "SELECT name, type, \"notnull\", pk FROM pragma_table_info('zestor_kv') ORDER BY cid", columns: 4)
            #expect(columns == [
                ["kind", "TEXT", "1", "1"], ["key", "TEXT", "1", "2"], ["value", "BLOB", "1", "0"],
                ["version", "INTEGER", "1", "0"], ["updated_at", "TEXT", "1", "0"], ["expires_at", "INTEGER", "0", "0"],
            ])
            try await backend.close()
            // Reopening an existing database keeps the schema as it is.
            let reopened = try SQLiteBackend(path: path)
            try await reopened.close()
            #expect(try rawQuery(path, "SELECT count(*) FROM sqlite_master WHERE type = 'table'", columns: 1) == [["1"]])
        }
    }

    @Test("WAL journal mode and the synchronous option are applied")
    func pragmas() async throws {
        try await withDatabase { path in
            let backend = try SQLiteBackend(path: path)
            #expect(try await backend.pragma("journal_mode") == "wal")
            #expect(try await backend.pragma("synchronous") == "1")  // NORMAL
            #expect(try await backend.pragma("busy_timeout") == "5000")
            // WAL is persistent: a raw connection sees it too.
            #expect(try rawQuery(path, "PRAGMA journal_mode", columns: 1) == [["wal"]])
            try await backend.close()

            let full = try SQLiteBackend(path: path, options: .init(synchronous: .full, busyTimeout: .milliseconds(250)))
            #expect(try await full.pragma("synchronous") == "2")  // FULL
            #expect(try await full.pragma("busy_timeout") == "250")
            try await full.close()
        }
    }

    @Test("close is idempotent and later calls throw backendClosed")
    func closeIsIdempotent() async throws {
        try await withDatabase { path in
            let backend = try SQLiteBackend(path: path)
            try await backend.commit([.upsert(row("k", "x", [1], 1))])
            try await backend.close()
            try await backend.close()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { try await backend.close() } }
                try await group.waitForAll()
            }
            let commitError = try await #require(throws: SQLiteError.self) {
                try await backend.commit([.upsert(row("k", "y", [1], 1))])
            }
            #expect(commitError.isBackendClosed)
            #expect(commitError.code == sqliteMisuse)
            #expect(commitError.message == "SQLiteBackend is closed")
            await #expect(throws: SQLiteError.backendClosed) { try await backend.loadAll() }

            let reopened = try SQLiteBackend(path: path)
            #expect(try await reopened.loadAll() == [row("k", "x", [1], 1)])
            try await reopened.close()
        }
    }

    @Test("concurrent closes while commits are in flight: accepted commits land, later ones throw")
    func closeRacesCommits() async throws {
        try await withDatabase { path in
            let backend = try SQLiteBackend(path: path)
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        if index == 25 { try await backend.close(); return false }
                        do {
                            try await backend.commit([.upsert(row("c", "\(index)", [1], 1))])
                            return true
                        } catch let error as SQLiteError where error.isBackendClosed {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            let reopened = try SQLiteBackend(path: path)
            #expect(try await reopened.loadAll().count == outcomes)
            try await reopened.close()
        }
    }

    @Test("a backend dropped without close releases its connection")
    func dropWithoutClose() async throws {
        try await withDatabase { path in
            do {
                let backend = try SQLiteBackend(path: path)
                try await backend.commit([.upsert(row("k", "x", [1], 1))])
            }
            let reopened = try SQLiteBackend(path: path)
            #expect(try await reopened.loadAll() == [row("k", "x", [1], 1)])
            try await reopened.close()
        }
    }

    @Test("opening an impossible path throws SQLITE_CANTOPEN")
    func openFailure() async throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("zestor-missing-\(UUID().uuidString)/nested/zestor.db").path
        let error = try #require(throws: SQLiteError.self) { try SQLiteBackend(path: path) }
        #expect(error.code == sqliteCantOpen)
        #expect(error.message.contains(path))
    }
}

extension SQLiteBackendTests {
    @Test("opening adds expires_at to a table made without it, keeping its rows; expiry instants round-trip")
    func migratesExpiresAt() async throws {
        try await withDatabase { path in
            // The table as zestor (and earlier versions of this package) made it.
            _ = try rawQuery(path, """
                CREATE TABLE zestor_kv(kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, \
                version INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY(kind, key))
                """, columns: 0)
            _ = try rawQuery(path, "INSERT INTO zestor_kv VALUES('k', 'old', x'7b7d', 4, '2025-01-01T00:00:00.000Z')", columns: 0)
            // Two backends opening the file at once migrate it once.
            async let first = Task { try SQLiteBackend(path: path) }.value
            async let second = Task { try SQLiteBackend(path: path) }.value
            let (backend, other) = try await (first, second)
            try await other.close()
            #expect(try rawQuery(path, "SELECT name FROM pragma_table_info('zestor_kv') WHERE name = 'expires_at'", columns: 1)
                    == [["expires_at"]])
            #expect(try await backend.loadAll() == [row("k", "old", Array("{}".utf8), 4)])
            let instant: Int64 = 1_893_456_000_123
            let report = try await backend.commit([
                .upsert(PersistedRow(kind: "k", key: "new", value: [1], version: 1, expiresAt: instant)),
                .setExpiry(kind: "k", key: "old", version: 4, expiresAt: instant + 1),
                .setExpiry(kind: "k", key: "new", version: 9, expiresAt: nil),  // another version: unchanged
                .deleteUnlessNewer(kind: "k", key: "new", version: 0),           // the row is newer: unchanged
            ])
            #expect(report == CommitReport(unchanged: [2, 3]))
            #expect(try await backend.loadAll().sorted { $0.key < $1.key } == [
                PersistedRow(kind: "k", key: "new", value: [1], version: 1, expiresAt: instant),
                PersistedRow(kind: "k", key: "old", value: Array("{}".utf8), version: 4, expiresAt: instant + 1),
            ])
            try await backend.commit([.deleteUnlessNewer(kind: "k", key: "old", version: 5)])
            #expect(try await backend.loadAll().map(\.key) == ["new"])
            try await backend.close()
        }
    }
}

extension SQLiteBackendTests {
    @Test("compareAndSet writes only at the expected version (nil: no row); compareAndDelete removes only that version")
    func compareAndSwap() async throws {
        try await withDatabase { path in
            let backend = try SQLiteBackend(path: path)
            try await backend.commit([.upsert(row("k", "a", [1], 3)), .upsert(row("k", "b", [1], 3))])
            let report = try await backend.commit([
                .compareAndSet(row("k", "a", [2], 4), expectedVersion: 3),
                .compareAndSet(row("k", "b", [2], 4), expectedVersion: 2),     // at 3: stale
                .compareAndSet(row("k", "c", [2], 1), expectedVersion: nil),
                .compareAndSet(row("k", "a", [3], 1), expectedVersion: nil),   // present: stale
                .compareAndSet(row("k", "d", [3], 2), expectedVersion: 1),     // absent: stale
                .compareAndDelete(kind: "k", key: "b", version: 2),            // at 3: unchanged
                .compareAndDelete(kind: "k", key: "c", version: 1),
                .compareAndDelete(kind: "k", key: "missing", version: 1),      // unchanged
            ])
            #expect(report == CommitReport(staleUpserts: [1, 3, 4], unchanged: [5, 7]))
            #expect(try await backend.loadAll().sorted { $0.key < $1.key } == [row("k", "a", [2], 4), row("k", "b", [1], 3)])
            try await backend.close()
        }
    }
}
