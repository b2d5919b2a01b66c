import Testing
import Zestor

// The README's snapshot example, compiled and run here (the block between the markers must
// appear verbatim in README.md).

// snapshot-example begin
/// Writes every user as one line, all from one point in time, holding no lock while writing.
func exportUsers(_ store: some SnapshotStore<String>, to write: (String) async throws -> Void) async throws -> Int {
    let snapshot = try await store.snapshot("users")   // O(shards): no entry copied
    for await entry in snapshot.async {                  // lock-free; ends if the task is cancelled
        try await write("\(entry.key)=\(entry.value)")
    }
    return snapshot.count
}
// snapshot-example end

@Suite("Snapshots")
struct SnapshotTests {
    @Test("a snapshot leaves out entries expired when it was taken and keeps those that expire later")
    func expiry() throws {
        let clock = ManualExpiryClock()
        let store = MemoryStore<Int>(options: StoreOptions(clock: clock))
        try store.set("k", "gone", 1, expiration: .after(.seconds(5)))
        try store.set("k", "later", 2, expiration: .after(.seconds(20)))
        try store.set("k", "kept", 3)
        clock.advance(by: .seconds(10))
        let snapshot = try store.snapshot("k")
        clock.advance(by: .seconds(30))
        #expect(snapshot.dictionary == ["later": 2, "kept": 3])
        #expect(snapshot.count == 2)
        #expect(try store.snapshot("k").dictionary == ["kept": 3])
        try store.close()
    }

    @Test("a snapshot outlives its store's close, and later writes never reach it (one shard or many)",
          arguments: [1, 16])
    func isolatedFromWrites(shards: Int) throws {
        let store = MemoryStore<Int>(shardCount: shards)
        let keys = (0..<5_000).map { "key-\($0)" }
        try store.setMany("k", Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) }))
        let snapshot = try store.snapshot("k")
        for (index, key) in keys.enumerated() where index % 3 == 0 { try store.set("k", key, -index) }
        for (index, key) in keys.enumerated() where index % 3 == 1 { try store.delete("k", key) }
        try store.set("k", "new", 1)
        try store.close()
        #expect(snapshot.count == keys.count)
        #expect(snapshot.dictionary == Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) }))
        #expect(Set(snapshot.keys) == Set(keys))
        #expect(throws: StoreError.closed) { try store.snapshot("k") }
    }

    @Test func readmeExample() async throws {
        let store = MemoryStore<String>()
        try store.setMany("users", ["ada": "Ada", "alan": "Alan"])
        var lines: [String] = []
        let count = try await exportUsers(store) { line in
            lines.append(line)
            try store.set("users", "grace", "Grace")   // later writes do not reach the export
        }
        #expect(count == 2 && Set(lines) == ["ada=Ada", "alan=Alan"])
        #expect(try readmeShowsSnippet("snapshot-example"), "README.md must contain the snapshot example verbatim")
    }

    @Test("iterating a snapshot's async sequence ends when the task is cancelled")
    func asyncCancellation() async throws {
        let store = MemoryStore<Int>()
        try store.setMany("k", Dictionary(uniqueKeysWithValues: (0..<1_000).map { ("key-\($0)", $0) }))
        let snapshot = try store.snapshot("k")
        let seen = await Task {
            var seen = 0
            for await _ in snapshot.async {
                seen += 1
                if seen == 10 { withUnsafeCurrentTask { $0?.cancel() } }
            }
            return seen
        }.value
        #expect(seen == 10)
        var all = 0
        for await _ in snapshot.async { all += 1 }
        #expect(all == 1_000)
    }
}
