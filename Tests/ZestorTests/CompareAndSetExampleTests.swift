import Testing
import Zestor

// The README's compare-and-set example, compiled and run here. The block between the
// `compare-and-set-example` markers must appear verbatim in README.md (checked below).

// compare-and-set-example begin
/// Adds one to a counter. No increment is lost however many tasks race — or, with a
/// write-through `DurableStore`, however many processes share the database.
func increment(_ store: some VersionedStore<Int>, _ key: String) async throws -> Int {
    while true {
        let current = try await store.getVersioned("counters", key)
        let next = (current?.value ?? 0) + 1
        do {
            try await store.compareAndSet("counters", key, next, expectedVersion: current?.version)
            return next
        } catch StoreError.versionConflict {
            continue  // another writer got there first: read again
        }
    }
}
// compare-and-set-example end

@Suite("README compare-and-set example")
struct CompareAndSetExampleTests {
    /// `tasks` tasks increment one counter `times` times each.
    private func race(_ store: some VersionedStore<Int>, tasks: Int, times: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<tasks {
                group.addTask { for _ in 0..<times { _ = try await increment(store, "visits") } }
            }
            try await group.waitForAll()
        }
    }

    @Test func incrementsLoseNothingInMemory() async throws {
        let store = MemoryStore<Int>()
        try await race(store, tasks: 4, times: 500)
        #expect(try store.getVersioned("counters", "visits") == Versioned(value: 2_000, version: 2_000))
    }

    @Test func incrementsLoseNothingWritingThrough() async throws {
        let backend = InMemoryBackend()
        let store = try await DurableStore<Int>.open(backend: backend, mode: .writeThrough)
        try await race(store, tasks: 4, times: 50)
        #expect(try store.getVersioned("counters", "visits") == Versioned(value: 200, version: 200))
        try await store.close()
    }

    @Test func readmeShowsTheCompareAndSetExampleVerbatim() throws {
        #expect(try readmeShowsSnippet("compare-and-set-example"),
                "README.md must contain the compare-and-set example of CompareAndSetExampleTests.swift verbatim")
    }
}
