import Foundation
import Synchronization
import Testing
import Zestor

/// A backend with a change feed whose commits the test can hold after they applied (the reply
/// "lost in the network" for a while), so a change of another store can be delivered while this
/// store's write is in flight — committed before that change, its outcome not yet known.
private final class HeldReplyBackend: PersistenceBackend, @unchecked Sendable {
    // @unchecked: every mutable property is guarded by `lock`.
    private let lock = NSLock()
    private var rows: [String: PersistedRow] = [:]
    private var position: UInt64 = 0
    private var holding = false
    private var held: [CheckedContinuation<Void, Never>] = []
    private let feed: AsyncStream<FeedBatch>
    private let continuation: AsyncStream<FeedBatch>.Continuation
    /// Commits applied so far.
    let commits = Atomic<Int>(0)

    init() {
        (feed, continuation) = AsyncStream.makeStream(of: FeedBatch.self)
    }

    func loadAll() async throws -> [PersistedRow] { lock.withLock { Array(rows.values) } }

    func load(_ keys: [PersistedKey]) async throws -> PersistedRows {
        lock.withLock {
            PersistedRows(rows: keys.compactMap { rows[$0.kind + "/" + $0.key] }, position: position)
        }
    }

    func commit(_ mutations: [PersistedMutation]) async throws -> CommitReport {
        let (report, hold) = lock.withLock { () -> (CommitReport, Bool) in
            var report = CommitReport()
            for (index, mutation) in mutations.enumerated() {
                guard case .upsert(let row) = mutation else { continue }
                let id = row.kind + "/" + row.key
                if let stored = rows[id], stored.version >= row.version {
                    report.staleUpserts.append(index)
                } else {
                    rows[id] = row
                    position += 1
                    report.position = position
                }
            }
            return (report, holding)
        }
        commits.add(1, ordering: .relaxed)
        if hold { await withCheckedContinuation { continuation in lock.withLock { held.append(continuation) } } }
        return report
    }

    /// Holds the replies of the commits that follow until ``releaseReplies()``.
    func holdReplies() { lock.withLock { holding = true } }

    func releaseReplies() {
        let waiting = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            holding = false
            defer { held = [] }
            return held
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Commits `row` as another store sharing the storage would, and delivers it on the feed.
    func commitFromAnotherStore(_ row: PersistedRow) {
        let at = lock.withLock { () -> UInt64 in
            rows[row.kind + "/" + row.key] = row
            position += 1
            return position
        }
        continuation.yield(.changes([FeedChange(.upsert(row), at: at)], through: at))
    }

    func externalChanges() -> AsyncStream<FeedBatch>? { feed }

    func close() async throws { continuation.finish() }
}

@Suite("Write-behind against the change feed")
struct FeedRaceTests {
    @Test("a change another store committed after this store's write, delivered while that write is in flight, is applied")
    func changeAfterInFlightWrite() async throws {
        let backend = HeldReplyBackend()
        let store = try await DurableStore<Int>.open(
            backend: backend, mode: .writeBehind(WriteBehindPolicy(maxDelay: .milliseconds(1))))
        backend.holdReplies()
        try await store.set("k", "x", 1)                              // version 1, in flight soon
        while backend.commits.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(1)) }
        // Committed after this store's write (position 2 > 1), before its reply arrives.
        backend.commitFromAnotherStore(PersistedRow(kind: "k", key: "x", value: Array("2".utf8), version: 2))
        try await Task.sleep(for: .milliseconds(50))                  // the feed reaches the change
        backend.releaseReplies()
        try await store.flush()
        var shown = try store.getVersioned("k", "x")
        for _ in 0..<500 where shown?.version != 2 {
            try await Task.sleep(for: .milliseconds(10))
            shown = try store.getVersioned("k", "x")
        }
        #expect(shown == Versioned(value: 2, version: 2), "memory converges on the storage")
        try await store.close()
    }
}
