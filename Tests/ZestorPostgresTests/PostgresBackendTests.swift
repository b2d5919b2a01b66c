import Foundation
import Testing
@testable import Zestor
@testable import ZestorPostgres
#if canImport(Glibc)
import Glibc
#endif

/// The server the tests use; `Scripts/test.sh` starts a throwaway cluster and exports it.
let postgresURL = ProcessInfo.processInfo.environment["ZESTOR_POSTGRES_URL"] ?? ""
let hasPostgres = ProcessInfo.processInfo.environment["ZESTOR_POSTGRES_URL"] != nil

/// The identity of the calling thread (synchronous: `Thread.current` is unavailable in async code).
func callerThreadID() -> Int {
    ObjectIdentifier(Thread.current).hashValue
}

/// A namespace no other test (or earlier run) uses.
func randomNamespace() -> Int64 {
    Int64.random(in: 1_000_000...Int64.max)
}

private func row(_ kind: String, _ key: String, _ value: [UInt8], _ version: UInt64) -> PersistedRow {
    PersistedRow(kind: kind, key: key, value: value, version: version)
}

private func sorted(_ rows: [PersistedRow]) -> [PersistedRow] {
    rows.sorted { ($0.kind, $0.key) < ($1.kind, $1.key) }
}

/// Opens a backend on a fresh namespace, runs `body`, closes it.
private func withBackend(
    namespace: Int64 = randomNamespace(), options: PostgresBackend.Options = .init(),
    _ body: (PostgresBackend) async throws -> Void
) async throws {
    try await using(try PostgresBackend(url: postgresURL, namespace: namespace, options: options),
                    release: { try await $0.close() }, body)
}

/// Runs `body` with a URL whose sessions use a fresh schema of their own (`search_path`), so
/// that tests changing triggers leave the other tests' tables alone; drops the schema afterwards.
private func withPrivateSchema(_ body: (_ url: String) async throws -> Void) async throws {
    let schema = "zestor_test_\(UInt64.random(in: 0...UInt64.max))"
    let separator = postgresURL.contains("?") ? "&" : "?"
    let url = postgresURL + separator + "options=-csearch_path%3D" + schema
    let admin = try PostgresBackend(url: postgresURL, namespace: randomNamespace(), options: .init(poolSize: 1))
    try await using(admin, release: { try await $0.close() }) { admin in
        _ = try await admin.query("CREATE SCHEMA \(schema)", columns: 0)
        try await using(url, release: { _ in _ = try await admin.query("DROP SCHEMA \(schema) CASCADE", columns: 0) }, body)
    }
}

/// The connection's server process id: unchanged as long as the writer keeps its session.
private let sessionSQL = "SELECT pg_backend_pid()::text"

/// Commits updates of key "a" followed by an insert of `key`, which the server rejects: one run
/// (lock and run in one round trip) or, with `multiRun`, two (inside BEGIN … COMMIT). Expects
/// the commit to throw and the writer to keep its session (the failure was read to its end, no
/// reconnect); returns the error and that session.
private func commitRejected(key: String, multiRun: Bool, on backend: PostgresBackend)
    async throws -> (error: PostgresError, session: [[String?]]) {
    let batch: [PersistedMutation] = (multiRun ? [.upsert(row("k", "a", [1], 1))] : [])
        + [.upsert(row("k", "a", [2], 2)), .upsert(row("k", key, [1], 1))]
    #expect(try PostgresSession.runs(of: batch).count == (multiRun ? 2 : 1))
    let session = try await backend.query(sessionSQL, columns: 1)
    let error = try await #require(throws: PostgresError.self) { try await backend.commit(batch) }
    #expect(try await backend.query(sessionSQL, columns: 1) == session)
    return (error, session)
}

@Suite("PostgresBackend", .enabled(if: hasPostgres, "ZESTOR_POSTGRES_URL is not set"))
struct PostgresBackendTests {
    @Test("open creates the tables, the index and the NOTIFY trigger")
    func schemaCreated() async throws {
        try await withBackend { backend in
            let tables = try await backend.query(
                """
                SELECT table_name::text FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_name = ANY($1) ORDER BY 1
                """,
                [.textArray(["zestor_kv", "zestor_outbox"])], columns: 1)
            #expect(tables == [["zestor_kv"], ["zestor_outbox"]])
            let kvColumns = try await backend.query("""
                SELECT column_name::text, data_type::text FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position
                """, [.text("zestor_kv")], columns: 2)
            #expect(kvColumns == [
                ["ns_id", "bigint"], ["kind", "text"], ["key", "text"], ["value", "bytea"],
                ["version", "bigint"], ["updated_at", "timestamp with time zone"],
                ["expires_at", "timestamp with time zone"],
            ])
            let outboxColumns = try await backend.query("""
                SELECT column_name::text FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position
                """, [.text("zestor_outbox")], columns: 1)
            #expect(outboxColumns.map { $0[0] ?? "" } == ["id", "ns_id", "kind", "key", "etype", "value", "version", "origin", "at",
                                                        "expires_at"])
            let primaryKey = try await backend.query("""
                SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) FROM pg_index i
                CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE i.indrelid = 'zestor_kv'::regclass AND i.indisprimary
                """, columns: 1)
            #expect(primaryKey == [["ns_id,kind,key"]])
            let trigger = try await backend.query("""
                SELECT tgname::text, pg_get_triggerdef(oid) FROM pg_trigger
                WHERE tgrelid = 'zestor_outbox'::regclass AND NOT tgisinternal
                """, columns: 2)
            #expect(trigger.count == 1)
            #expect(trigger.first?[1]?.contains("""
                AFTER INSERT ON public.zestor_outbox REFERENCING NEW TABLE AS zestor_outbox_inserted \
                FOR EACH STATEMENT EXECUTE FUNCTION zestor_notify_statement()
                """) == true, "\(trigger)")
            let index = try await backend.query(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1",
                [.text("zestor_outbox_ns_id_idx")], columns: 1)
            #expect(index.count == 1)
            #expect(index.first?.first??.contains("(ns_id, id)") == true)
        }
    }

    @Test("concurrent opens against one database all succeed")
    func concurrentOpens() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let backend = try PostgresBackend(url: postgresURL, namespace: randomNamespace(),
                                                      options: .init(poolSize: 1))
                    try await backend.close()
                }
            }
            try await group.waitForAll()
        }
    }

    @Test("commit upserts and deletes, loadAll returns the rows", arguments: [false, true])
    func commitThenLoad(perRow: Bool) async throws {
        let namespace = randomNamespace()
        let strategy: PostgresSession.CommitStrategy = perRow ? .perRow : .multiRow
        try await withBackend(namespace: namespace) { backend in
            #expect(try await backend.loadAll().isEmpty)
            try await backend.commit([
                .upsert(row("user", "a", [1], 1)),
                .upsert(row("user", "b", [2, 2], 1)),
                .upsert(row("item", "a", [3], 1)),
            ], strategy: strategy)
            try await backend.commit([
                .upsert(row("user", "a", [9], 2)),
                .delete(kind: "user", key: "b"),
                .delete(kind: "user", key: "missing"),
            ], strategy: strategy)
            try await backend.commit([], strategy: strategy)
            #expect(sorted(try await backend.loadAll()) == [row("item", "a", [3], 1), row("user", "a", [9], 2)])
        }
        try await withBackend(namespace: namespace) { reopened in
            let rows = try await reopened.loadAll()
            #expect(sorted(rows) == [row("item", "a", [3], 1), row("user", "a", [9], 2)])
        }
    }

    @Test("mutations of one key apply in order within a batch", arguments: [false, true])
    func orderWithinBatch(perRow: Bool) async throws {
        let strategy: PostgresSession.CommitStrategy = perRow ? .perRow : .multiRow
        try await withBackend { backend in
            try await backend.commit([
                .upsert(row("k", "x", [1], 1)),
                .delete(kind: "k", key: "x"),
                .upsert(row("k", "x", [3], 3)),
                .upsert(row("k", "y", [1], 1)),
                .delete(kind: "k", key: "y"),
                .upsert(row("k", "z", [1], 1)),
                .upsert(row("k", "z", [2], 2)),
            ], strategy: strategy)
            #expect(sorted(try await backend.loadAll()) == [row("k", "x", [3], 3), row("k", "z", [2], 2)])
            let outbox = try await backend.outbox(after: 0, limit: 100)
            #expect(outbox.map { "\($0.etype.rawValue) \($0.key) \($0.version)" } == [
                "upsert x 1", "delete x 1", "upsert x 3", "upsert y 1", "delete y 1", "upsert z 1", "upsert z 2",
            ])
        }
    }

    @Test("a batch of 20,000 deletes and upserts applies in order and reports only its stale upserts")
    func largeMixedBatch() async throws {
        try await withBackend { backend in
            let count = 20_000
            try await backend.commit((0..<count).map { .upsert(row("k", "key\($0)", [1], 1)) }
                + (0..<1_000).map { .upsert(row("s", "stale\($0)", [5], 5)) })
            let seeded = try await backend.outboxHighWaterMark()
            var batch: [PersistedMutation] = []
            var expectedStale: [Int] = []
            var expectedOutbox: [String] = []
            for index in 0..<count {
                if index.isMultiple(of: 2) {
                    batch.append(.delete(kind: "k", key: "key\(index)"))
                    expectedOutbox.append("delete k/key\(index) 1")
                } else {
                    batch.append(.upsert(row("k", "key\(index)", [2], 2)))
                    expectedOutbox.append("upsert k/key\(index) 2")
                }
                if index.isMultiple(of: 20) {
                    let extra = index / 20
                    batch.append(.delete(kind: "k", key: "missing\(extra)"))  // removes nothing: no outbox row
                    batch.append(.upsert(row("n", "new\(extra)", [3], 1)))
                    expectedOutbox.append("upsert n/new\(extra) 1")
                    expectedStale.append(batch.count)
                    batch.append(.upsert(row("s", "stale\(extra)", [4], 3)))  // older than stored: stale
                }
            }
            let report = try await backend.commit(batch)
            #expect(report.staleUpserts == expectedStale)

            let rows = try await backend.loadAll()
            let expectedRows = (0..<count).filter { !$0.isMultiple(of: 2) }.map { row("k", "key\($0)", [2], 2) }
                + (0..<(count / 20)).map { row("n", "new\($0)", [3], 1) }
                + (0..<1_000).map { row("s", "stale\($0)", [5], 5) }
            #expect(sorted(rows) == sorted(expectedRows))
            let outbox = try await backend.outbox(after: seeded, limit: 100_000)
            #expect(outbox.map { "\($0.etype.rawValue) \($0.kind)/\($0.key) \($0.version)" } == expectedOutbox)
            #expect(outbox.map(\.id) == outbox.map(\.id).sorted())
            #expect(outbox.filter { $0.etype == .upsert }.allSatisfy { $0.value == ($0.kind == "n" ? [3] : [2]) })
            #expect(outbox.filter { $0.etype == .delete }.allSatisfy { $0.value == nil })
        }
    }

    @Test("runs split at repeated keys and at the length bound")
    func runSplitting() throws {
        let mutations: [PersistedMutation] = [
            .upsert(row("k", "a", [], 1)), .upsert(row("j", "a", [], 1)), .delete(kind: "k", key: "a"),
            .upsert(row("k", "b", [], 1)), .upsert(row("k", "a", [], 2)),
        ]
        let runs = try PostgresSession.runs(of: mutations)
        #expect(runs.map(\.count) == [2, 2, 1])
        let many = (0..<(PostgresSession.maxRunLength * 2 + 1)).map { PersistedMutation.upsert(row("k", "\($0)", [], 1)) }
        #expect(try PostgresSession.runs(of: many).map(\.count)
            == [PostgresSession.maxRunLength, PostgresSession.maxRunLength, 1])
        #expect(try PostgresSession.runs(of: []).isEmpty)
        let half = [UInt8](repeating: 0, count: PostgresSession.maxRunBytes / 2)
        let large = ["a", "b", "c"].map { PersistedMutation.upsert(row("k", $0, half, 1)) }
        #expect(try PostgresSession.runs(of: large).map(\.count) == [1, 1, 1])
        let huge = [UInt8](repeating: 0, count: PostgresSession.maxRunBytes + 1)
        #expect(try PostgresSession.runs(of: [.upsert(row("k", "h", huge, 1))]).map(\.count) == [1])
    }

    @Test("stored etypes of other zestor versions map to upsert or delete")
    func storedTypes() {
        #expect(OutboxEntry.Operation(storedType: "upsert", value: nil) == .upsert)
        #expect(OutboxEntry.Operation(storedType: "delete", value: [1]) == .delete)
        #expect(OutboxEntry.Operation(storedType: "create", value: [1]) == .upsert)
        #expect(OutboxEntry.Operation(storedType: "UPDATE", value: []) == .upsert)
        #expect(OutboxEntry.Operation(storedType: "mystery", value: nil) == .delete)
    }

    @Test("a row's version only moves forward", arguments: [false, true])
    func versionsOnlyMoveForward(perRow: Bool) async throws {
        let strategy: PostgresSession.CommitStrategy = perRow ? .perRow : .multiRow
        try await withBackend { backend in
            try await backend.commit([.upsert(row("k", "x", [2], 2))], strategy: strategy)
            try await backend.commit([.upsert(row("k", "x", [1], 1))], strategy: strategy)  // lower: ignored
            try await backend.commit([.upsert(row("k", "x", [22], 2))], strategy: strategy)  // equal: ignored
            #expect(try await backend.loadAll() == [row("k", "x", [2], 2)])
            try await backend.commit([.upsert(row("k", "x", [3], 3)), .upsert(row("k", "x", [0], 1))], strategy: strategy)
            #expect(try await backend.loadAll() == [row("k", "x", [3], 3)])
            try await backend.commit([.upsert(row("k", "x", [4], UInt64(Int64.max)))], strategy: strategy)
            #expect(try await backend.loadAll() == [row("k", "x", [4], UInt64(Int64.max))])
            // Ignored upserts leave no outbox rows.
            let outbox = try await backend.outbox(after: 0, limit: 100)
            #expect(outbox.map(\.version) == [2, 3, UInt64(Int64.max)])
        }
    }

    @Test("updated_at is set on write and moves only with the row")
    func updatedAt() async throws {
        try await withBackend { backend in
            let stampSQL = "SELECT updated_at::text FROM zestor_kv WHERE ns_id = $1"
            try await backend.commit([.upsert(row("k", "x", [1], 1))])
            let first = try #require(try await backend.query(stampSQL, [.int64(backend.namespace)], columns: 1).first?.first ?? nil)
            try await Task.sleep(for: .milliseconds(20))
            try await backend.commit([.upsert(row("k", "x", [2], 2))])
            let second = try #require(try await backend.query(stampSQL, [.int64(backend.namespace)], columns: 1).first?.first ?? nil)
            #expect(second > first)
            try await backend.commit([.upsert(row("k", "x", [3], 1))])  // ignored
            #expect(try await backend.query(stampSQL, [.int64(backend.namespace)], columns: 1) == [[second]])
        }
    }

    @Test("namespaces isolate rows, outbox entries and counts")
    func namespacesIsolated() async throws {
        let first = try PostgresBackend(url: postgresURL, namespace: randomNamespace())
        let second = try PostgresBackend(url: postgresURL, namespace: randomNamespace())
        try await first.commit([.upsert(row("k", "shared", [1], 1)), .upsert(row("k", "only-first", [1], 1))])
        try await second.commit([.upsert(row("k", "shared", [2], 5))])
        #expect(sorted(try await first.loadAll()) == [row("k", "only-first", [1], 1), row("k", "shared", [1], 1)])
        #expect(try await second.loadAll() == [row("k", "shared", [2], 5)])
        // A delete in one namespace leaves the other's row alone.
        try await second.commit([.delete(kind: "k", key: "shared")])
        #expect(sorted(try await first.loadAll()).count == 2)
        #expect(try await second.loadAll().isEmpty)
        // Outbox and its high-water mark are per namespace.
        let firstOutbox = try await first.outbox(after: 0, limit: 100)
        let secondOutbox = try await second.outbox(after: 0, limit: 100)
        #expect(firstOutbox.count == 2)
        #expect(secondOutbox.map(\.etype) == [.upsert, .delete])
        #expect(Set(firstOutbox.map(\.id)).isDisjoint(with: secondOutbox.map(\.id)))
        #expect(try await first.outboxHighWaterMark() == firstOutbox.last?.id)
        #expect(try await second.outboxHighWaterMark() == secondOutbox.last?.id)
        let empty = try PostgresBackend(url: postgresURL, namespace: randomNamespace())
        #expect(try await empty.outboxHighWaterMark() == 0)
        #expect(try await empty.loadAll().isEmpty)
        try await empty.close()
        try await first.close()
        try await second.close()
    }

    @Test("delete removes the row and records the removed version; deleting a missing key records nothing")
    func deleteRecordsVersion() async throws {
        try await withBackend { backend in
            try await backend.commit([.upsert(row("k", "x", [1], 7)), .upsert(row("k", "y", [1], 1))])
            try await backend.commit([.delete(kind: "k", key: "x"), .delete(kind: "k", key: "nope")])
            #expect(try await backend.loadAll() == [row("k", "y", [1], 1)])
            let outbox = try await backend.outbox(after: 0, limit: 10)
            #expect(outbox.count == 3)
            let delete = try #require(outbox.last)
            #expect(delete.etype == .delete)
            #expect(delete.key == "x")
            #expect(delete.version == 7)
            #expect(delete.value == nil)
            #expect(delete.mutation == .deleteUnlessNewer(kind: "k", key: "x", version: 7))
        }
    }

    @Test("outbox rows are appended in commit order with this backend's origin; paging by id works")
    func outboxOrderAndOrigin() async throws {
        let namespace = randomNamespace()
        let writer = try PostgresBackend(url: postgresURL, namespace: namespace)
        let other = try PostgresBackend(url: postgresURL, namespace: namespace)
        #expect(writer.origin != other.origin)
        #expect(UUID(uuidString: writer.origin) != nil)
        for index in 0..<10 {
            try await writer.commit([.upsert(row("k", "w\(index)", [UInt8(index)], 1))])
            try await other.commit([.upsert(row("k", "o\(index)", [UInt8(index)], 1))])
        }
        let all = try await writer.outbox(after: 0, limit: 1000)
        #expect(all.count == 20)
        #expect(all.map(\.id) == all.map(\.id).sorted())
        #expect(all.map(\.key) == (0..<10).flatMap { ["w\($0)", "o\($0)"] })
        #expect(all.allSatisfy { $0.origin == ($0.key.hasPrefix("w") ? writer.origin : other.origin) })
        #expect(all.first?.value == [0])
        #expect(all.first?.mutation == .upsert(row("k", "w0", [0], 1)))
        // Paging.
        var paged: [OutboxEntry] = []
        var after: Int64 = 0
        while true {
            let page = try await other.outbox(after: after, limit: 3)
            if page.isEmpty { break }
            paged += page
            after = page.last!.id
        }
        #expect(paged == all)
        #expect(try await writer.outboxHighWaterMark() == all.last?.id)
        try await writer.close()
        try await other.close()
    }

    @Test("the trigger notifies zestor_events with ns_id:largest id once per outbox statement")
    func triggerNotifies() async throws {
        try await withBackend { backend in
            // LISTEN on the writer connection: notifications of its own commits arrive there too.
            _ = try await backend.query("LISTEN zestor_events", columns: 0)
            func mine() async throws -> [String] {
                try await backend.writerNotifications()
                    .filter { $0.channel == "zestor_events" && $0.payload.hasPrefix("\(backend.namespace):") }
                    .map(\.payload)
            }
            try await backend.commit([.upsert(row("k", "a", [1], 1)), .upsert(row("k", "b", [1], 1))])
            var ids = try await backend.outbox(after: 0, limit: 10).map(\.id)
            #expect(ids.count == 2)
            #expect(try await mine() == ["\(backend.namespace):\(ids[1])"])
            // Two runs (the key repeats): two statements, each announcing its own largest id.
            try await backend.commit([.upsert(row("k", "a", [2], 2)), .upsert(row("k", "c", [1], 1)),
                                      .upsert(row("k", "a", [3], 3))])
            ids = try await backend.outbox(after: ids[1], limit: 10).map(\.id)
            #expect(ids.count == 3)
            #expect(try await mine() == ["\(backend.namespace):\(ids[1])", "\(backend.namespace):\(ids[2])"])
            // Nothing written (a stale upsert, a missing key): nothing announced.
            try await backend.commit([.upsert(row("k", "a", [0], 1)), .delete(kind: "k", key: "missing")])
            #expect(try await mine().isEmpty)
            _ = try await backend.query("UNLISTEN zestor_events", columns: 0)
        }
    }

    @Test("opening replaces the per-row NOTIFY trigger of earlier versions by the per-statement one")
    func upgradesRowTrigger() async throws {
        try await withPrivateSchema { url in
            let triggerSQL = """
                SELECT (tgtype & 1)::text, tgfoid::regproc::text FROM pg_trigger
                WHERE tgname = 'zestor_outbox_notify' AND tgrelid = to_regclass('zestor_outbox')
                """
            // What an earlier version left: the same tables with a trigger firing per row.
            let old = try PostgresBackend(url: url, namespace: randomNamespace(), options: .init(poolSize: 1))
            for statement in [
                "DROP TRIGGER zestor_outbox_notify ON zestor_outbox",
                """
                CREATE OR REPLACE FUNCTION zestor_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
                BEGIN
                    PERFORM pg_notify('zestor_events', NEW.ns_id::text || ':' || NEW.id::text);
                    RETURN NEW;
                END
                $fn$
                """,
                """
                CREATE TRIGGER zestor_outbox_notify AFTER INSERT ON zestor_outbox
                    FOR EACH ROW EXECUTE FUNCTION zestor_notify()
                """,
            ] {
                _ = try await old.query(statement, columns: 0)
            }
            #expect(try await old.query(triggerSQL, columns: 2) == [["1", "zestor_notify"]])
            try await old.close()

            let upgraded = try PostgresBackend(url: url, namespace: randomNamespace(), options: .init(poolSize: 1))
            #expect(try await upgraded.query(triggerSQL, columns: 2) == [["0", "zestor_notify_statement"]])
            _ = try await upgraded.query("LISTEN zestor_events", columns: 0)
            try await upgraded.commit([.upsert(row("k", "a", [1], 1)), .upsert(row("k", "b", [1], 1))])
            let last = try #require(try await upgraded.outbox(after: 0, limit: 10).last?.id)
            let payloads = try await upgraded.writerNotifications()
                .filter { $0.payload.hasPrefix("\(upgraded.namespace):") }.map(\.payload)
            #expect(payloads == ["\(upgraded.namespace):\(last)"])
            try await upgraded.close()
            // Opening again finds the schema complete and leaves it alone.
            let again = try PostgresBackend(url: url, namespace: randomNamespace(), options: .init(poolSize: 1))
            #expect(try await again.query(triggerSQL, columns: 2) == [["0", "zestor_notify_statement"]])
            try await again.close()
        }
    }

    @Test("a commit that fails at COMMIT (a deferred constraint) applies nothing", arguments: [false, true])
    func failsAtCommit(multiRun: Bool) async throws {
        try await withPrivateSchema { url in
            let backend = try PostgresBackend(url: url, namespace: randomNamespace(), options: .init(poolSize: 1))
            for statement in [
                """
                CREATE FUNCTION zestor_test_reject() RETURNS trigger LANGUAGE plpgsql AS $fn$
                BEGIN
                    IF NEW.key = 'reject' THEN RAISE EXCEPTION 'rejected at commit' USING ERRCODE = '23514'; END IF;
                    RETURN NULL;
                END
                $fn$
                """,
                """
                CREATE CONSTRAINT TRIGGER zestor_test_reject AFTER INSERT OR UPDATE ON zestor_kv
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION zestor_test_reject()
                """,
            ] {
                _ = try await backend.query(statement, columns: 0)
            }
            let (error, session) = try await commitRejected(key: "reject", multiRun: multiRun, on: backend)
            #expect(error.sqlState == "23514")
            #expect(error.message.contains("rejected at commit"))
            #expect(try await backend.loadAll().isEmpty)
            #expect(try await backend.outbox(after: 0, limit: 10).isEmpty)
            try await backend.commit([.upsert(row("k", "b", [1], 1))])
            #expect(try await backend.loadAll() == [row("k", "b", [1], 1)])
            // The failure was read to its end: the writer kept its session (no reconnect).
            #expect(try await backend.query(sessionSQL, columns: 1) == session)
            try await backend.close()
        }
    }

    @Test("hostile kinds, keys and values round-trip exactly", arguments: [false, true])
    func hostileInput(perRow: Bool) async throws {
        let strategy: PostgresSession.CommitStrategy = perRow ? .perRow : .multiRow
        let namespace = randomNamespace()
        let megabyte = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let rows: [PersistedRow] = [
            row("quotes'\"`", "it's \"quoted\"", Array("'\"".utf8), 1),
            row("'; DROP TABLE zestor_kv; --", "'; DROP TABLE zestor_kv; --", Array("'; DROP TABLE zestor_kv; --".utf8), 2),
            row("emoji 🦊", "🔑🗝️", Array("👍🏽".utf8), 3),
            row("עברית", "مفتاح", Array("\u{202E}rtl override".utf8), 4),
            row("empty key", "", [], 5),
            row("big", "1 MB", megabyte, 6),
            row("bytes", "all", (0...255).map { UInt8($0) }, 7),
            row("$1", "$2::text", [0, 0, 0], 8),
            row("back\\slash", "\\x00", Array("\\x00".utf8), 9),
        ]
        try await withBackend(namespace: namespace) { backend in
            try await backend.commit(rows.map { .upsert($0) }, strategy: strategy)
        }
        try await withBackend(namespace: namespace) { backend in
            #expect(sorted(try await backend.loadAll()) == sorted(rows))
            let outbox = try await backend.outbox(after: 0, limit: 100)
            #expect(outbox.map(\.mutation) == rows.map { .upsert($0) })
            // The table survived the DROP TABLE attempt.
            #expect(try await backend.query("SELECT count(*)::text FROM zestor_kv WHERE ns_id = $1",
                                            [.int64(namespace)], columns: 1) == [[String(rows.count)]])
        }
    }

    @Test("a NUL character in a key is rejected by the server, never truncated")
    func nulRejected() async throws {
        try await withBackend { backend in
            let error = try await #require(throws: PostgresError.self) {
                try await backend.commit([.upsert(row("k", "a\u{0}b", [1], 1))])
            }
            #expect(error.sqlState == "22021")
            #expect(try await backend.loadAll().isEmpty)
        }
    }

    @Test("a failing batch is rolled back and the error carries SQLSTATE, message and statement")
    func errorsCarrySQLState() async throws {
        try await withBackend { backend in
            try await backend.commit([.upsert(row("k", "kept", [1], 1))])
            // The version does not fit BIGINT: rejected before reaching the server.
            let tooBig = try await #require(throws: PostgresError.self) {
                try await backend.commit([.upsert(row("k", "new", [1], 1)), .upsert(row("k", "huge", [1], UInt64(Int64.max) + 1))])
            }
            #expect(tooBig.sqlState == "22003")
            #expect(tooBig.statement != nil)
            // A server error: the check constraint below rejects the second row of the batch.
            let constraint = "zestor_test_no_forbidden_\(UInt64.random(in: 0...UInt64.max))"
            _ = try await backend.query("""
                ALTER TABLE zestor_kv ADD CONSTRAINT \(constraint) CHECK (key <> 'forbidden-\(backend.namespace)') NOT VALID
                """, columns: 0)
            var failures: [PostgresError] = []
            for strategy in [PostgresSession.CommitStrategy.multiRow, .perRow] {
                do {
                    try await backend.commit([
                        .upsert(row("k", "new", [1], 1)),
                        .upsert(row("k", "forbidden-\(backend.namespace)", [1], 1)),
                    ], strategy: strategy)
                } catch let error as PostgresError {
                    failures.append(error)
                }
            }
            _ = try await backend.query("ALTER TABLE zestor_kv DROP CONSTRAINT \(constraint)", columns: 0)
            #expect(failures.count == 2)
            for error in failures {
                #expect(error.sqlState == "23514")
                #expect(error.message.contains(constraint))
                #expect(error.statement?.contains("zestor_kv") == true)
                #expect(error.description.contains("23514"))
            }
            #expect(try await backend.loadAll() == [row("k", "kept", [1], 1)])
            #expect(try await backend.outbox(after: 0, limit: 10).count == 1)
            // The connection is usable again: the transaction is not left open.
            try await backend.commit([.upsert(row("k", "after", [1], 1))])
            #expect(sorted(try await backend.loadAll()) == [row("k", "after", [1], 1), row("k", "kept", [1], 1)])
            // A syntax error reports 42601 and the statement.
            let syntax = try await #require(throws: PostgresError.self) {
                _ = try await backend.query("SELEC 1", columns: 0)
            }
            #expect(syntax.sqlState == "42601")
            #expect(syntax.statement == "SELEC 1")
        }
    }

    @Test("a failed commit leaves no rows, no open transaction and no namespace lock", arguments: [false, true])
    func failedCommitCleansUp(multiRun: Bool) async throws {
        let namespace = randomNamespace()
        let options = PostgresBackend.Options(operationTimeout: .seconds(2))
        try await withBackend(namespace: namespace, options: options) { backend in
            try await backend.commit([.upsert(row("k", "kept", [1], 1))])
            // The server rejects the NUL in the last run's key after the first mutations were applied.
            let (error, _) = try await commitRejected(key: "bad\u{0}", multiRun: multiRun, on: backend)
            #expect(error.sqlState == "22021")
            #expect(try await backend.loadAll() == [row("k", "kept", [1], 1)])
            #expect(try await backend.outbox(after: 0, limit: 10).count == 1)
            // None was left open (aborted, it would reject this; open, it would have an xid).
            #expect(try await backend.query("SELECT (pg_current_xact_id_if_assigned() IS NULL)::text", columns: 1)
                == [["true"]])
            // The namespace lock went with the transaction: another writer gets it (lock_timeout 2 s).
            let other = try PostgresBackend(url: postgresURL, namespace: namespace, options: options)
            try await other.commit([.upsert(row("k", "other", [1], 1))])
            try await other.close()
            try await backend.commit([.upsert(row("k", "a", [3], 3))])
            #expect(sorted(try await backend.loadAll()).map(\.key) == ["a", "kept", "other"])
        }
    }

    @Test("a statement exceeding the operation timeout fails with 57014")
    func operationTimeout() async throws {
        try await withBackend(options: .init(operationTimeout: .milliseconds(200), poolSize: 1)) { backend in
            let error = try await #require(throws: PostgresError.self) {
                _ = try await backend.query("SELECT pg_sleep(5)::text", columns: 1)
            }
            #expect(error.sqlState == "57014")
        }
    }

    @Test("connecting to a closed port fails with a message and no SQLSTATE")
    func connectFailure() async throws {
        let error = try #require(throws: PostgresError.self) {
            _ = try PostgresBackend(url: "postgres://postgres@127.0.0.1:1/zestor_test", options: .init(operationTimeout: .seconds(2)))
        }
        #expect(error.sqlState == nil)
        #expect(error.message.contains("cannot connect"))
    }

    @Test("a lost connection fails the call in flight, then reconnects")
    func reconnects() async throws {
        try await withBackend(options: .init(poolSize: 1)) { backend in
            try await backend.commit([.upsert(row("k", "a", [1], 1))])
            let pid = try #require(try await backend.query("SELECT pg_backend_pid()::text", columns: 1).first?.first ?? nil)
            let killer = try PostgresBackend(url: postgresURL, options: .init(poolSize: 1))
            _ = try await killer.query("SELECT pg_terminate_backend($1::text::int)::text", [.text(pid)], columns: 1)
            try await killer.close()
            // The first call on a killed connection may fail; later ones reconnect.
            var succeeded = false
            for _ in 0..<3 where !succeeded {
                do {
                    try await backend.commit([.upsert(row("k", "b", [1], 1))])
                    succeeded = true
                } catch let error as PostgresError {
                    #expect(error.isConnectionFailure || error.sqlState == "57P01", "\(error)")
                }
            }
            #expect(succeeded)
            #expect(sorted(try await backend.loadAll()).map(\.key).contains("b"))
        }
    }

    @Test("close is idempotent and later calls throw backendClosed")
    func closeIdempotent() async throws {
        let backend = try PostgresBackend(url: postgresURL, namespace: randomNamespace())
        try await backend.commit([.upsert(row("k", "a", [1], 1))])
        try await backend.close()
        try await backend.close()
        async let concurrentA: Void = backend.close()
        async let concurrentB: Void = backend.close()
        _ = try await (concurrentA, concurrentB)
        await #expect(throws: PostgresError.backendClosed) { _ = try await backend.loadAll() }
        await #expect(throws: PostgresError.backendClosed) { try await backend.commit([.upsert(row("k", "b", [1], 1))]) }
        await #expect(throws: PostgresError.backendClosed) { _ = try await backend.outbox(after: 0, limit: 1) }
        await #expect(throws: PostgresError.backendClosed) { _ = try await backend.outboxHighWaterMark() }
        #expect(PostgresError.backendClosed.isBackendClosed)
    }

    @Test("pruning removes only this namespace's outbox rows older than the retention")
    func pruning() async throws {
        let namespace = randomNamespace()
        let keeper = try PostgresBackend(url: postgresURL, namespace: randomNamespace())
        try await keeper.commit([.upsert(row("k", "a", [1], 1))])
        try await withBackend(namespace: namespace, options: .init(outboxRetention: .seconds(3600))) { backend in
            try await backend.commit([.upsert(row("k", "a", [1], 1)), .upsert(row("k", "b", [1], 1))])
            _ = try await backend.query("UPDATE zestor_outbox SET at = at - interval '2 hours' WHERE ns_id = $1 AND key = $2",
                                        [.int64(namespace), .text("a")], columns: 0)
            #expect(try await backend.pruneOutbox() == 1)
            #expect(try await backend.outbox(after: 0, limit: 10).map(\.key) == ["b"])
        }
        #expect(try await keeper.outbox(after: 0, limit: 10).count == 1)
        try await keeper.close()
    }

    // MARK: Commits of unknown outcome

    @Test("own outbox rows are matched to a batch in order: stale upserts, repeated keys, deletes")
    func inDoubtMatcher() {
        typealias Tables = PostgresSession
        var nextID: Int64 = 100
        func own(_ etype: String, _ key: String, _ version: Int64, kind: String = "k") -> Tables.OwnOutboxRow {
            nextID += 1
            return Tables.OwnOutboxRow(id: nextID, kind: kind, key: key, etype: etype, version: version)
        }
        // A stale upsert wrote no row.
        let plain: [PersistedMutation] = [.upsert(row("k", "a", [1], 1)), .upsert(row("k", "b", [1], 2)),
                                          .upsert(row("k", "c", [1], 1))]
        #expect(Tables.matchCommitted(plain, to: [own("upsert", "a", 1), own("upsert", "c", 1)])?.staleUpserts == [1])
        #expect(Tables.matchCommitted(plain, to: [own("upsert", "a", 1), own("upsert", "b", 2), own("upsert", "c", 1)])
            == .allApplied)
        // One key across runs, with different versions: the last upsert lost to the one before.
        let repeated: [PersistedMutation] = [.upsert(row("k", "x", [1], 1)), .delete(kind: "k", key: "x"),
                                             .upsert(row("k", "x", [3], 3)), .upsert(row("k", "x", [2], 2))]
        #expect(Tables.matchCommitted(repeated, to: [own("upsert", "x", 1), own("delete", "x", 1), own("upsert", "x", 3)])?
            .staleUpserts == [3])
        // Stale (stored 5), then a delete of the stored row, then the same upsert applies.
        let again: [PersistedMutation] = [.upsert(row("k", "x", [2], 2)), .delete(kind: "k", key: "x"),
                                          .upsert(row("k", "x", [2], 2))]
        #expect(Tables.matchCommitted(again, to: [own("delete", "x", 5), own("upsert", "x", 2)])?.staleUpserts == [0])
        // Twice the same upsert: the first applies, the second is stale.
        let twice: [PersistedMutation] = [.upsert(row("k", "x", [3], 3)), .upsert(row("k", "x", [3], 3))]
        #expect(Tables.matchCommitted(twice, to: [own("upsert", "x", 3)])?.staleUpserts == [1])
        // Deletes: one of a missing key (no row), one that removed version 4; the kind counts.
        let deletes: [PersistedMutation] = [.delete(kind: "k", key: "missing"), .delete(kind: "j", key: "b"),
                                            .upsert(row("k", "missing", [1], 1))]
        #expect(Tables.matchCommitted(deletes, to: [own("delete", "b", 4, kind: "j"), own("upsert", "missing", 1)])
            == CommitReport(unchanged: [0]))
        #expect(Tables.matchCommitted(deletes, to: [own("delete", "b", 4), own("upsert", "missing", 1)]) == nil)
        // Not this batch: no rows, a row left over, another version, an unknown etype.
        #expect(Tables.matchCommitted(plain, to: []) == nil)
        #expect(Tables.matchCommitted(plain, to: [own("upsert", "a", 1), own("upsert", "z", 1)]) == nil)
        #expect(Tables.matchCommitted(plain, to: [own("upsert", "a", 9)]) == nil)
        #expect(Tables.matchCommitted(plain, to: [own("upsert", "a", 1), own("upsert", "a", 1)]) == nil)
        #expect(Tables.matchCommitted([.delete(kind: "k", key: "a")], to: [own("del", "a", 1)]) == nil)
    }

    @Test("a committed batch is recognised from its own outbox rows; one never sent is not", arguments: [false, true])
    func inDoubtResolution(multiRun: Bool) async throws {
        let namespace = randomNamespace()
        try await withBackend(namespace: namespace) { backend in
            try await backend.commit([.upsert(row("s", "stale", [5], 5)), .upsert(row("k", "gone", [1], 1))])
            let before = try await backend.outboxHighWaterMark()
            #expect(try await backend.writerLastOwnOutboxID() == before)
            // Another writer's rows above the bound are not this backend's.
            let other = try PostgresBackend(url: postgresURL, namespace: namespace, options: .init(poolSize: 1))
            try await other.commit([.upsert(row("k", "other", [1], 1)), .upsert(row("k", "a", [7], 1))])
            let batch: [PersistedMutation] = (multiRun ? [.upsert(row("k", "a", [1], 1))] : [])
                + [.upsert(row("k", "a", [2], 2)), .upsert(row("s", "stale", [3], 3)),
                   .delete(kind: "k", key: "gone"), .delete(kind: "k", key: "missing")]
            #expect(try PostgresSession.runs(of: batch).count == (multiRun ? 2 : 1))
            let report = try await backend.commit(batch)
            let expected = multiRun ? [0, 2] : [1]  // ("k", "a", 1) lost to the other writer's version 1
            #expect(report.staleUpserts == expected)
            try await other.commit([.upsert(row("k", "later", [1], 1))])
            try await other.close()
            #expect(try await backend.resolveInDoubtCommit(batch, after: before) == .committed(report))
            let highWaterMark = try await backend.outboxHighWaterMark()
            let ownLast = try await backend.writerLastOwnOutboxID()
            #expect(ownLast.map { $0 > before && $0 < highWaterMark } == true, "\(String(describing: ownLast))")
            // Never sent: no own rows above the bound, or rows that are another batch's.
            let unsent: [PersistedMutation] = [.upsert(row("k", "unsent", [1], 1))]
            #expect(try await backend.resolveInDoubtCommit(unsent, after: highWaterMark) == .notCommitted)
            #expect(try await backend.resolveInDoubtCommit(unsent, after: before) == .unrecognized)
            #expect(try await backend.resolveInDoubtCommit(batch, after: ownLast ?? 0) == .notCommitted)
            #expect(try await backend.writerLastOwnOutboxID() == ownLast)
            // perRow commits know their ids too.
            let perRow = try await backend.commit([.upsert(row("k", "b", [1], 1))], strategy: .perRow)
            #expect(try await backend.writerLastOwnOutboxID() == (try await backend.outboxHighWaterMark()))
            #expect(perRow.position.map { Int64($0) } == (try await backend.outboxHighWaterMark()))
            try await backend.commit([.upsert(row("k", "c", [1], 1))])
            #expect(try await backend.writerLastOwnOutboxID() == (try await backend.outboxHighWaterMark()))
        }
    }

    @Test("a connection cut after the server committed returns the commit's report; one cut before throws",
          arguments: [false, true])
    func inDoubtCommitEndToEnd(multiRun: Bool) async throws {
        let proxy = try CuttingProxy(serverURL: postgresURL)
        defer { proxy.stop() }
        let backend = try PostgresBackend(url: proxy.url, namespace: randomNamespace(), options: .init(poolSize: 1))
        do {
            // The pipelined commit ends with Sync, the other with the simple query COMMIT: the
            // server answers either only after committing (a few small results stay buffered).
            let commitMessage: [UInt8] = multiRun ? [0x51, 0, 0, 0, 11] + Array("COMMIT".utf8) + [0] : [0x53, 0, 0, 0, 4]
            func batch(_ prefix: String) -> [PersistedMutation] {
                (multiRun ? [.upsert(row("k", prefix + "a", [0], 1))] : [])
                    + [.upsert(row("k", prefix + "a", [1], 2)), .upsert(row("s", "stale", [3], 3)),
                       .delete(kind: "k", key: prefix + "gone")]
            }
            try await backend.commit([.upsert(row("s", "stale", [5], 5)), .upsert(row("k", "wgone", [1], 1)),
                                      .upsert(row("k", "tgone", [1], 1))])
            // Same statements as the cut commit: prepared, so the Sync armed for is the commit's.
            #expect(try await backend.commit(batch("w")).staleUpserts == [multiRun ? 2 : 1])
            proxy.arm(cutting: .reply, whenClientSends: commitMessage)
            let report = try await backend.commit(batch("t"))
            #expect(proxy.cuts == 1)
            #expect(report.staleUpserts == [multiRun ? 2 : 1])
            #expect(Set(try await backend.loadAll().map(\.key)) == ["wa", "ta", "stale"])
            #expect(try await backend.writerLastOwnOutboxID() == (try await backend.outboxHighWaterMark()))

            // Cut before the server saw the end of the transaction: nothing committed, the call throws.
            let lost: [PersistedMutation] = (multiRun ? [.upsert(row("k", "lost", [0], 1))] : [])
                + [.upsert(row("k", "lost", [1], 2))]
            proxy.arm(cutting: .request, whenClientSends: commitMessage)
            let error = try await #require(throws: PostgresError.self) { try await backend.commit(lost) }
            #expect(error.isConnectionFailure, "\(error)")
            #expect(proxy.cuts == 2)
            #expect(try await backend.writerLastOwnOutboxID() == nil)
            #expect(try await !backend.loadAll().map(\.key).contains("lost"))
            // Retrying is safe.
            #expect(try await backend.commit(lost).staleUpserts.isEmpty)
            #expect(try await backend.loadAll().contains(row("k", "lost", [1], 2)))
        } catch {
            try? await backend.close()
            throw error
        }
        try await backend.close()
    }

    @Test("libpq calls run on one dedicated writer thread, not the caller's")
    func runsOnDedicatedThread() async throws {
        try await withBackend { backend in
            let first = try await backend.writerThreadID()
            let second = try await backend.writerThreadID()
            #expect(first == second)
            #expect(first != callerThreadID())
        }
    }
}

@Suite("PostgreSQL test configuration")
struct PostgresConfigurationTests {
    /// CI runs Scripts/test.sh, which always starts a cluster: there the Postgres suites must run.
    @Test("CI provides ZESTOR_POSTGRES_URL")
    func configuredInCI() {
        let environment = ProcessInfo.processInfo.environment
        if environment["CI"] != nil {
            #expect(hasPostgres, "CI is set but ZESTOR_POSTGRES_URL is not: the PostgreSQL tests would be skipped")
        }
    }
}

@Suite("PostgresBackend options")
struct PostgresOptionTests {
    /// Checked before connecting: the URL points at no server, so only the check can answer.
    @Test("options out of range throw outOfRange before any connection is tried")
    func outOfRange() throws {
        let nowhere = "postgres://nobody@127.0.0.1:1/none"
        let cases: [(PostgresBackend.Options, StoreError)] = [
            (.init(poolSize: 0),
             .outOfRange(parameter: "PostgresBackend.Options.poolSize", value: "0", requirement: "at least 1")),
            (.init(operationTimeout: .zero),
             .outOfRange(parameter: "PostgresBackend.Options.operationTimeout", value: "\(Duration.zero)",
                         requirement: "greater than zero")),
            (.init(outboxRetention: .seconds(-1)),
             .outOfRange(parameter: "PostgresBackend.Options.outboxRetention", value: "\(Duration.seconds(-1))",
                         requirement: "zero or more")),
        ]
        for (options, expected) in cases {
            #expect(throws: expected) { _ = try PostgresBackend(url: nowhere, options: options) }
        }
    }
}

extension PostgresBackendTests {
    @Test("opening adds expires_at to tables made without it, keeping their rows; expiry instants round-trip")
    func migratesExpiresAt() async throws {
        try await withPrivateSchema { url in
            // What zestor or an earlier version of this package left: the tables without expires_at.
            let old = try PostgresBackend(url: url, namespace: 7, options: .init(poolSize: 1))
            for statement in [
                "ALTER TABLE zestor_kv DROP COLUMN expires_at",
                "ALTER TABLE zestor_outbox DROP COLUMN expires_at",
                "INSERT INTO zestor_kv (ns_id, kind, key, value, version) VALUES (7, 'k', 'old', '\\x7b7d', 4)",
            ] {
                _ = try await old.query(statement, columns: 0)
            }
            try await old.close()

            let upgraded = try PostgresBackend(url: url, namespace: 7, options: .init(poolSize: 1))
            let columns = try await upgraded.query("""
                SELECT table_name::text FROM information_schema.columns WHERE column_name = 'expires_at'
                AND table_schema = current_schema() ORDER BY table_name
                """, columns: 1)
            #expect(columns == [["zestor_kv"], ["zestor_outbox"]])
            #expect(try await upgraded.loadAll() == [PersistedRow(kind: "k", key: "old", value: Array("{}".utf8), version: 4)])
            let instant: Int64 = 1_893_456_000_123  // 2030-01-01T00:00:00.123Z
            try await upgraded.commit([
                .upsert(PersistedRow(kind: "k", key: "new", value: [1], version: 1, expiresAt: instant)),
                .setExpiry(kind: "k", key: "old", version: 4, expiresAt: instant + 1),
                .setExpiry(kind: "k", key: "new", version: 9, expiresAt: nil),  // another version: ignored
            ])
            #expect(sorted(try await upgraded.loadAll()) == [
                PersistedRow(kind: "k", key: "new", value: [1], version: 1, expiresAt: instant),
                PersistedRow(kind: "k", key: "old", value: Array("{}".utf8), version: 4, expiresAt: instant + 1),
            ])
            let readable = try await upgraded.query(
                "SELECT expires_at::text FROM zestor_kv WHERE key = 'new'", columns: 1)
            #expect(readable == [["2030-01-01 00:00:00.123+00"]])
            // The outbox carries the instants, an expiry change as an upsert of the row's version.
            let outbox = try await upgraded.outbox(after: 0, limit: 10)
            #expect(outbox.map { "\($0.key) \($0.etype.rawValue) v\($0.version) \($0.expiresAt.map(String.init) ?? "never")" }
                    == ["new upsert v1 \(instant)", "old upsert v4 \(instant + 1)"])
            try await upgraded.close()
        }
    }

    @Test("compareAndSet writes only at the expected version (nil: no row); compareAndDelete removes only that version",
          arguments: [false, true])
    func compareAndSwap(perRow: Bool) async throws {
        try await withBackend { backend in
            try await backend.commit([.upsert(row("k", "a", [1], 3)), .upsert(row("k", "b", [1], 3))])
            let batch: [PersistedMutation] = [
                .upsert(row("k", "x", [1], 1)),                               // runs around the conditional ones
                .compareAndSet(row("k", "a", [2], 4), expectedVersion: 3),
                .compareAndSet(row("k", "b", [2], 4), expectedVersion: 2),     // at 3: stale
                .compareAndSet(row("k", "c", [2], 1), expectedVersion: nil),
                .compareAndSet(row("k", "a", [3], 1), expectedVersion: nil),   // present: stale
                .compareAndSet(row("k", "d", [3], 2), expectedVersion: 1),     // absent: stale
                .compareAndDelete(kind: "k", key: "b", version: 2),            // at 3: unchanged
                .compareAndDelete(kind: "k", key: "c", version: 1),
                .compareAndDelete(kind: "k", key: "missing", version: 1),      // unchanged
                .upsert(row("k", "y", [1], 1)),
            ]
            let report = perRow ? try await backend.commit(batch, strategy: .perRow) : try await backend.commit(batch)
            #expect(report.staleUpserts == [2, 4, 5])
            #expect(report.unchanged == [6, 8])
            #expect(try await backend.loadAll().sorted { $0.key < $1.key }.map { "\($0.key) \($0.value) v\($0.version)" }
                    == ["a [2] v4", "b [1] v3", "x [1] v1", "y [1] v1"])
            let outbox = try await backend.outbox(after: 0, limit: 20).dropFirst(2)
            #expect(outbox.map { "\($0.key) \($0.etype.rawValue) v\($0.version)" }
                    == ["x upsert v1", "a upsert v4", "c upsert v1", "c delete v1", "y upsert v1"])
            // A commit of unknown outcome is matched to the outbox rows the same way.
            let own = outbox.map {
                PostgresSession.OwnOutboxRow(id: $0.id, kind: $0.kind, key: $0.key, etype: $0.etype.rawValue,
                                             version: Int64($0.version))
            }
            #expect(PostgresSession.matchCommitted(batch, to: own) == CommitReport(staleUpserts: [2, 4, 5], unchanged: [6, 8]))
        }
    }

    @Test("deleteUnlessNewer leaves a newer row and removes an older or equal one", arguments: [false, true])
    func deleteUnlessNewer(perRow: Bool) async throws {
        try await withBackend { backend in
            try await backend.commit([.upsert(row("k", "a", [1], 3)), .upsert(row("k", "b", [1], 3)),
                                      .upsert(row("k", "c", [1], 3))])
            let batch: [PersistedMutation] = [
                .deleteUnlessNewer(kind: "k", key: "a", version: 2),  // the row is newer: stays
                .deleteUnlessNewer(kind: "k", key: "b", version: 3),
                .deleteUnlessNewer(kind: "k", key: "c", version: 5),  // never stored at 5: an older row goes
                .deleteUnlessNewer(kind: "k", key: "missing", version: 1),
            ]
            if perRow { try await backend.commit(batch, strategy: .perRow) } else { try await backend.commit(batch) }
            #expect(try await backend.loadAll().map(\.key) == ["a"])
            let deletes = try await backend.outbox(after: 0, limit: 10).filter { $0.etype == .delete }
            #expect(deletes.map { "\($0.key) v\($0.version)" } == ["b v3", "c v3"])
        }
    }
}
