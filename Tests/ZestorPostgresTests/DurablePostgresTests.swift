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

    @Test("passes the conformance suite", .serialized, arguments: ConformanceCase.allCases, [0, 1])
    func conformance(_ testCase: ConformanceCase, mode: Int) async throws {
        // Write-through racy cases wait on hundreds of sequential commits: in the full parallel test
        // run on two cores they take well over the default 10 s bound, without hanging.
        try await ConformanceSuite(rounds: 3, timeout: .seconds(60)) { options in
            try await DurableStore<ConformanceValue>.open(backend: try Self.backend(), mode: Self.modes[mode], options: options)
        }.run(testCase)
    }

    @Test("passes the durability suite", arguments: DurabilityCase.allCases)
    func durability(_ testCase: DurabilityCase) async throws {
        try await DurabilitySuite {
            let namespace = randomNamespace()
            return DurableStorage { mode, options in
                try await DurableStore<ConformanceValue>.open(backend: try Self.backend(namespace: namespace), mode: mode, options: options)
            }
        }.run(testCase)
    }

    @Test("namespaces are isolated: a store on another namespace loads none of the rows")
    func namespacesIsolated() async throws {
        let namespace = randomNamespace()
        let writer = try await DurableStore<ConformanceValue>.open(backend: try Self.backend(namespace: namespace))
        for index in 0..<50 { try await writer.set("k", "key-\(index)", ConformanceValue(name: "v", n: index)) }
        let neighbour = try await DurableStore<ConformanceValue>.open(backend: try Self.backend(namespace: namespace))
        #expect(try neighbour.count("k") == 50)
        let stranger = try await DurableStore<ConformanceValue>.open(backend: try Self.backend())
        #expect(try stranger.count("k") == 0)
        #expect(try stranger.getAll().isEmpty)
        try await stranger.close()
        try await neighbour.close()
        try await writer.close()
    }
}
