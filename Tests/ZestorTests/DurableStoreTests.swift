import Foundation
import Testing
import Zestor
import ZestorConformance

@Suite("DurableStore over an in-memory backend")
struct DurableStoreTests {
    static let modes: [(String, WriteMode)] = [
        ("writeThrough", .writeThrough),
        ("writeBehind", .writeBehind(WriteBehindPolicy(maxDelay: .milliseconds(2)))),
    ]

    @Test("passes the conformance suite", .serialized, arguments: ConformanceCase.allCases, [0, 1])
    func conformance(_ testCase: ConformanceCase, mode: Int) async throws {
        let writeMode = Self.modes[mode].1
        // Write-through racy cases wait on hundreds of sequential commits: in the full parallel test
        // run on two cores they take well over the default 10 s bound, without hanging.
        try await ConformanceSuite(rounds: 5, timeout: .seconds(60)) { options in
            try await DurableStore<ConformanceValue>.open(backend: InMemoryBackend(), mode: writeMode, options: options)
        }.run(testCase)
    }

    @Test("passes the durability suite", arguments: DurabilityCase.allCases)
    func durability(_ testCase: DurabilityCase) async throws {
        try await DurabilitySuite {
            let backend = InMemoryBackend()  // the storage: every store of the case opens over it
            return DurableStorage { mode, options in
                try await DurableStore<ConformanceValue>.open(backend: backend, mode: mode, options: options)
            }
        }.run(testCase)
    }

    @Test("a failed write-through commit changes neither memory nor watchers")
    func writeThroughFailure() async throws {
        let backend = InMemoryBackend()
        let store = try await DurableStore<ConformanceValue>.open(backend: backend)
        try await store.set("k", "a", ConformanceValue(name: "kept", n: 1))
        let watch = try store.watch("k", options: WatchOptions())
        backend.failsCommits = true
        await #expect(throws: InMemoryBackend.InjectedFailure()) {
            try await store.set("k", "a", ConformanceValue(name: "lost", n: 2))
        }
        await #expect(throws: InMemoryBackend.InjectedFailure()) { try await store.delete("k", "a") }
        await #expect(throws: InMemoryBackend.InjectedFailure()) {
            try await store.setMany("k", ["b": ConformanceValue(name: "b", n: 0)])
        }
        #expect(try store.get("k", "a") == ConformanceValue(name: "kept", n: 1))
        #expect(try store.getVersioned("k", "a")?.version == 1)
        #expect(try store.get("k", "b") == nil)
        backend.failsCommits = false
        try await store.set("k", "a", ConformanceValue(name: "next", n: 3))
        var iterator = watch.makeAsyncIterator()
        let event = try await iterator.next()
        #expect(event?.value == ConformanceValue(name: "next", n: 3))  // the failed writes emitted nothing
        #expect(try store.getVersioned("k", "a")?.version == 2)
        try await store.close()
    }

    @Test("a write-through write that lost to another store's write throws a version conflict with the winner's version, and a retry succeeds")
    func lostRace() async throws {
        let backend = InMemoryBackend()
        let store = try await DurableStore<ConformanceValue>.open(backend: backend)
        let watch = try store.watch("k", options: WatchOptions())
        try await store.set("k", "a", ConformanceValue(name: "mine", n: 1))
        try await store.set("k", "b", ConformanceValue(name: "mine", n: 1))
        // Another process writes version 2 of "a" behind this store's back.
        func theirs(_ n: Int) -> [UInt8] { Array(#"{"name":"theirs","n":\#(n)}"#.utf8) }
        backend.writeBehindTheStoresBack(PersistedRow(kind: "k", key: "a", value: theirs(2), version: 2))
        await #expect(throws: StoreError.versionConflict(kind: "k", key: "a", expected: 1, actual: 2)) {
            try await store.set("k", "a", ConformanceValue(name: "mine", n: 2))
        }
        // Memory was refreshed to the winner (one update event), so the retry succeeds.
        #expect(try store.getVersioned("k", "a") == Versioned(value: ConformanceValue(name: "theirs", n: 2), version: 2))
        try await store.set("k", "a", ConformanceValue(name: "mine", n: 2))
        #expect(try store.getVersioned("k", "a")?.version == 3)
        // setMany: the other rows of the transaction are committed and applied; the lost one is
        // reported and memory shows the winner.
        backend.writeBehindTheStoresBack(PersistedRow(kind: "k", key: "c", value: theirs(1), version: 1))
        await #expect(throws: StoreError.versionConflict(kind: "k", key: "c", expected: nil, actual: 1)) {
            try await store.setMany("k", ["b": ConformanceValue(name: "mine", n: 3), "c": ConformanceValue(name: "mine", n: 3)])
        }
        #expect(try store.get("k", "b") == ConformanceValue(name: "mine", n: 3))
        #expect(try store.getVersioned("k", "b")?.version == 2)
        #expect(try store.get("k", "c") == ConformanceValue(name: "theirs", n: 1))
        try await store.close()
        let events = try await allEvents(watch).map { "\($0.type) \($0.key) \($0.value) \($0.cause)" }
        #expect(events == [
            "create a mine#1 write", "create b mine#1 write", "update a theirs#2 external", "update a mine#2 write",
            "update b mine#3 write", "create c theirs#1 external",
        ])
    }

    @Test("a write-through commit of unknown outcome throws commitOutcomeUnknown; memory then shows what was committed",
          arguments: [true, false])
    func commitOutcomeUnknown(applied: Bool) async throws {
        let backend = InMemoryBackend()
        let store = try await DurableStore<ConformanceValue>.open(backend: backend)
        let watch = try store.watch("k", options: WatchOptions())
        try await store.set("k", "a", ConformanceValue(name: "v", n: 1))
        backend.failsLoads = true  // the storage stays unreachable for a while
        backend.cutOffNextCommits(1, applying: applied)
        await #expect(throws: StoreError.commitOutcomeUnknown(kind: "k", keys: ["a"])) {
            try await store.set("k", "a", ConformanceValue(name: "v", n: 2))
        }
        #expect(try store.get("k", "a")?.n == 1, "memory does not guess")
        #expect(store.coherenceStatus.keysInDoubt == 1)
        #expect(store.coherenceStatus.commitsInDoubt == 1)
        // The next write of the key reconciles it first; while the storage cannot be read it fails
        // with the backend's error and changes nothing.
        await #expect(throws: InMemoryBackend.InjectedFailure()) {
            try await store.set("k", "a", ConformanceValue(name: "v", n: 3))
        }
        backend.failsLoads = false
        // The resolver reconciles the key in the background once the storage answers.
        try await withDeadline(10, "the key in doubt being resolved") {
            while store.coherenceStatus.keysInDoubt > 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        #expect(try store.getVersioned("k", "a") == Versioned(value: ConformanceValue(name: "v", n: applied ? 2 : 1),
                                                               version: applied ? 2 : 1))
        try await store.set("k", "a", ConformanceValue(name: "v", n: 4))
        #expect(backend.stored.map(\.version) == [applied ? 3 : 2])
        try await store.close()
        let events = try await allEvents(watch).map { "\($0.type) \($0.value.n)" }
        #expect(events == (applied ? ["create 1", "update 2", "update 4"] : ["create 1", "update 4"]))
    }

    @Test("a write of a key in doubt reconciles it first, then commits on top of what was stored")
    func writeReconcilesKeyInDoubt() async throws {
        let backend = InMemoryBackend()
        let store = try await DurableStore<ConformanceValue>.open(backend: backend)
        backend.failsLoads = true
        backend.cutOffNextCommits(1, applying: true)
        await #expect(throws: StoreError.commitOutcomeUnknown(kind: "k", keys: ["a", "b"])) {
            try await store.setMany("k", ["a": ConformanceValue(name: "v", n: 1), "b": ConformanceValue(name: "v", n: 1)])
        }
        backend.failsLoads = false
        // Whether the resolver or this write gets there first, the write starts from version 1.
        try await store.set("k", "a", ConformanceValue(name: "v", n: 2))
        #expect(try store.getVersioned("k", "a")?.version == 2)
        try await store.delete("k", "b")
        #expect(backend.stored.map { "\($0.key) v\($0.version)" } == ["a v2"])
        try await store.close()
    }

    /// A write-behind store over a backend whose commits fail, holding `count` writes
    /// (`key-0` … with `n` = index) that one commit attempt has already failed to store.
    static func writeBehindFailing(afterWriting count: Int) async throws
        -> (backend: InMemoryBackend, store: DurableStore<ConformanceValue>) {
        let backend = InMemoryBackend()
        backend.failsCommits = true
        let store = try await DurableStore<ConformanceValue>.open(
            backend: backend, mode: .writeBehind(WriteBehindPolicy(maxDelay: .milliseconds(1))))
        for index in 0..<count { try await store.set("k", "key-\(index)", ConformanceValue(name: "v", n: index)) }
        try await withDeadline(10, "a first failed attempt") {
            while store.writeBehindStatus?.consecutiveFailures == 0 { try await Task.sleep(for: .milliseconds(2)) }
        }
        return (backend, store)
    }

    @Test("write-behind retries failed commits until the backend recovers")
    func writeBehindRetries() async throws {
        let (backend, store) = try await Self.writeBehindFailing(afterWriting: 50)
        let status = try #require(store.writeBehindStatus)
        #expect(status.pending == 50)
        #expect(status.consecutiveFailures >= 1)
        #expect(status.lastError == "injected commit failure")
        #expect(backend.stored.isEmpty)
        backend.failsCommits = false
        try await withDeadline(10, "flush after recovery") { try await store.flush() }
        #expect(backend.stored.count == 50)
        #expect(store.writeBehindStatus?.pending == 0)
        #expect(store.writeBehindStatus?.lastError == nil)
        try await store.close()
    }

    @Test("write-behind flush waits for the writes a failed commit returned to pending")
    func flushWaitsForRetriedWrites() async throws {
        let (backend, store) = try await Self.writeBehindFailing(afterWriting: 20)
        // A newer write of a key the failed batch held, then a flush while commits still fail.
        try await store.set("k", "key-3", ConformanceValue(name: "newer", n: 300))
        let flushed = Task { try await store.flush() }
        try await withDeadline(10, "another failed attempt") {
            while (store.writeBehindStatus?.consecutiveFailures ?? 0) < 2 { try await Task.sleep(for: .milliseconds(2)) }
        }
        backend.failsCommits = false
        try await withDeadline(10, "the flush after recovery") { try await flushed.value }
        #expect(backend.stored.count == 20, "flush returned before every acknowledged write was durable")
        let newer = try #require(backend.stored.first { $0.key == "key-3" })
        #expect(try JSONDecoder().decode(ConformanceValue.self, from: Data(newer.value)) == ConformanceValue(name: "newer", n: 300))
        #expect(newer.version == 2)
        try await store.close()
    }

    @Test("write-behind coalesces per key and flush makes everything durable")
    func writeBehindCoalesces() async throws {
        let backend = InMemoryBackend()
        let store = try await DurableStore<ConformanceValue>.open(
            backend: backend, mode: .writeBehind(WriteBehindPolicy(maxDelay: .seconds(5))))
        for round in 0..<100 { try await store.set("k", "hot", ConformanceValue(name: "v", n: round)) }
        try await store.delete("k", "hot")
        try await store.set("k", "hot", ConformanceValue(name: "last", n: -1))
        try await store.flush()
        #expect(backend.commits == 1)
        #expect(backend.stored.map(\.key) == ["hot"])
        let decoded = try JSONDecoder().decode(ConformanceValue.self, from: Data(backend.stored[0].value))
        #expect(decoded == ConformanceValue(name: "last", n: -1))
        try await store.close()
        await #expect(throws: StoreError.closed) { try await store.flush() }
    }

    @Test("write-behind: a key deleted and re-created between flushes replaces the stored row")
    func writeBehindRecreate() async throws {
        let backend = InMemoryBackend()
        let store = try await DurableStore<ConformanceValue>.open(
            backend: backend, mode: .writeBehind(WriteBehindPolicy(maxDelay: .seconds(5))))
        for round in 0..<3 { try await store.set("k", "a", ConformanceValue(name: "old", n: round)) }
        try await store.flush()
        #expect(backend.stored.first?.version == 3)
        try await store.delete("k", "a")
        try await store.set("k", "a", ConformanceValue(name: "new", n: 0))  // version 1 again
        try await store.flush()
        #expect(backend.stored.count == 1)
        #expect(backend.stored.first?.version == 1)
        let stored = try JSONDecoder().decode(ConformanceValue.self, from: Data(backend.stored[0].value))
        #expect(stored == ConformanceValue(name: "new", n: 0))
        try await store.close()
    }

    @Test("write-behind writers wait when maxPending keys are pending")
    func writeBehindBoundsPending() async throws {
        let backend = InMemoryBackend()
        backend.failsCommits = true
        let store = try await DurableStore<ConformanceValue>.open(
            backend: backend, mode: .writeBehind(WriteBehindPolicy(maxDelay: .milliseconds(1), maxPending: 10)))
        for index in 0..<10 { try await store.set("k", "key-\(index)", ConformanceValue(name: "v", n: index)) }
        let blocked = Task { try await store.set("k", "key-10", ConformanceValue(name: "v", n: 10)) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(try store.get("k", "key-10") == nil, "the eleventh writer must wait for space")
        backend.failsCommits = false
        _ = try await withDeadline(10, "the waiting writer") { try await blocked.value }
        try await store.flush()
        #expect(backend.stored.count == 11)
        try await store.close()
    }

    @Test("a row that cannot be decoded fails open with a typed error, or is skipped on request")
    func undecodableRow() async throws {
        let good = PersistedRow(kind: "k", key: "good", value: Array(#"{"name":"g","n":1}"#.utf8), version: 4)
        let bad = PersistedRow(kind: "k", key: "bad", value: Array("not json".utf8), version: 1)
        let backend = InMemoryBackend(rows: [good, bad])
        await #expect {
            _ = try await DurableStore<ConformanceValue>.open(backend: backend)
        } throws: { error in
            guard case StoreError.undecodableRow(kind: "k", key: "bad", reason: _) = error else { return false }
            return true
        }
        #expect(backend.stored.count == 2, "a failed open modifies nothing")
        let store = try await DurableStore<ConformanceValue>.open(backend: backend, undecodableRows: .skipAndLog)
        #expect(try store.get("k", "good") == ConformanceValue(name: "g", n: 1))
        #expect(try store.getVersioned("k", "good")?.version == 4)
        #expect(try store.get("k", "bad") == nil)
        try await store.close()
        #expect(backend.stored.count == 2)
    }

    @Test("concurrent write-through writers share commits")
    func groupCommit() async throws {
        let backend = InMemoryBackend()
        let store = try await DurableStore<ConformanceValue>.open(backend: backend)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<64 {
                group.addTask {
                    for index in 0..<5 { try await store.set("k", "w\(writer)-\(index)", ConformanceValue(name: "v", n: index)) }
                }
            }
            try await group.waitForAll()
        }
        #expect(backend.stored.count == 320)
        #expect(backend.commits < 320, "commits must be shared: \(backend.commits) for 320 writes")
        try await store.close()
    }
}
