import Foundation
import Testing
import Zestor
import ZestorConformance
import ZestorPostgres

/// `DurableStore` over a real PostgreSQL server; every store on a namespace of its own.
@Suite("DurableStore over PostgreSQL", .enabled(if: hasPostgres, "ZESTOR_POSTGRES_URL is not set"))
struct DurablePostgresTests {
    static let modes: [WriteMode] = [.writeThrough, .writeBehind(WriteBehindPolicy(maxDelay: .milliseconds(2)))]

    static func backend(namespace: Int64 = randomNamespace()) throws -> PostgresBackend {
        try PostgresBackend(url: postgresURL, namespace: namespace, options: .init(poolSize: 1))
    }

    @Test("passes the conformance suite", arguments: ConformanceCase.allCases, [0, 1])
    func conformance(_ testCase: ConformanceCase, mode: Int) async throws {
        try await ConformanceSuite(rounds: 3) { options in
            try await DurableStore<ConformanceValue>.open(backend: try Self.backend(), mode: Self.modes[mode], options: options)
        }.run(testCase)
    }

    @Test("write, update and delete across kinds survive a reopen with their versions", arguments: [0, 1])
    func roundTrip(mode: Int) async throws {
        let namespace = randomNamespace()
        let store = try await DurableStore<ConformanceValue>.open(backend: try Self.backend(namespace: namespace), mode: Self.modes[mode])
        for index in 0..<200 { try await store.set("numbers", "n\(index)", ConformanceValue(name: "n", n: index)) }
        try await store.update("numbers", "n7") { $0.n = 700 }
        try await store.delete("numbers", "n8")
        try await store.setMany("letters", ["a": ConformanceValue(name: "a", n: 1), "b": ConformanceValue(name: "b", n: 2)])
        try await store.set("letters", "a", ConformanceValue(name: "a", n: 10))
        let contents = try store.getAll()
        try await store.close()

        let reopened = try await DurableStore<ConformanceValue>.open(backend: try Self.backend(namespace: namespace), mode: Self.modes[mode])
        #expect(try reopened.getAll() == contents)
        #expect(try reopened.getVersioned("numbers", "n7")?.version == 2)
        #expect(try reopened.getVersioned("letters", "a")?.version == 2)
        #expect(try reopened.getVersioned("numbers", "n8") == nil)
        try await reopened.close()
    }

    @Test("hostile kinds, keys and values round-trip exactly through a store")
    func hostileInput() async throws {
        let namespace = randomNamespace()
        let big = String(repeating: "x", count: 1 << 20)
        let entries: [(kind: String, key: String, value: ConformanceValue)] = [
            ("quotes'\"`", "it's \"quoted\"", ConformanceValue(name: "'\"", n: 1)),
            ("'; DROP TABLE zestor_kv; --", "'; DROP TABLE zestor_kv; --", ConformanceValue(name: "'; DROP TABLE zestor_kv; --", n: 2)),
            ("emoji 🦊", "🔑🗝️", ConformanceValue(name: "👍🏽", n: 3)),
            ("עברית", "مفتاح", ConformanceValue(name: "\u{202E}rtl override", n: 4)),
            ("empty key", "", ConformanceValue(name: "", n: 5)),
            ("big", "1 MB", ConformanceValue(name: big, n: 6)),
        ]
        let store = try await DurableStore<ConformanceValue>.open(backend: try Self.backend(namespace: namespace))
        for entry in entries { try await store.set(entry.kind, entry.key, entry.value) }
        try await store.close()
        let reopened = try await DurableStore<ConformanceValue>.open(backend: try Self.backend(namespace: namespace))
        for entry in entries {
            #expect(try reopened.get(entry.kind, entry.key) == entry.value, "\(entry.kind)/\(entry.key)")
        }
        #expect(try reopened.getAll().count == entries.count)
        try await reopened.close()
    }

    @Test("a second store on the same namespace after flush sees every write; other namespaces see none")
    func twoStoresOneNamespace() async throws {
        let namespace = randomNamespace()
        let writer = try await DurableStore<ConformanceValue>.open(
            backend: try Self.backend(namespace: namespace), mode: .writeBehind(WriteBehindPolicy(maxDelay: .seconds(10))))
        for index in 0..<500 { try await writer.set("k", "key-\(index)", ConformanceValue(name: "v", n: index)) }
        try await writer.flush()
        let reader = try await DurableStore<ConformanceValue>.open(backend: try Self.backend(namespace: namespace))
        #expect(try reader.count("k") == 500)
        #expect(try reader.get("k", "key-499") == ConformanceValue(name: "v", n: 499))
        let stranger = try await DurableStore<ConformanceValue>.open(backend: try Self.backend())
        #expect(try stranger.count("k") == 0)
        try await stranger.close()
        try await reader.close()
        try await writer.close()
    }
}
