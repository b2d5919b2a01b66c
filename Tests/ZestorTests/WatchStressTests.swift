import Synchronization
import Testing
import Zestor

/// Concurrent writers, readers, watchers, cancels and a close. Run under Thread Sanitizer by
/// `Scripts/tsan.sh`. Each surviving watcher's reconstruction must equal the final state.
@Suite("Stress")
struct WatchStressTests {
    static let kind = "stress"

    enum Outcome: Sendable, Equatable {
        case converged
        case overflowed
        case cancelled
    }

    /// Consumes `watch` into a reconstruction. Returns how the stream ended and what it rebuilt.
    static func consume(_ watch: Watch<Int>, cancelAfter: Int? = nil) async throws -> (Outcome, [String: Int], Int) {
        var reconstruction = Reconstruction<Int>()
        defer {
            #expect(reconstruction.impossibleEvents == 0, "a watcher received events that contradict the order of writes")
        }
        do {
            for try await event in watch {
                reconstruction.apply(event)
                if let cancelAfter, reconstruction.count == cancelAfter { watch.cancel() }
            }
        } catch StoreError.watchOverflow {
            return (.overflowed, reconstruction.state, reconstruction.count)
        }
        if let cancelAfter, reconstruction.count >= cancelAfter { return (.cancelled, reconstruction.state, reconstruction.count) }
        return (.converged, reconstruction.state, reconstruction.count)
    }

    @Test(arguments: 1...3)
    func watchersConvergeOnTheFinalState(round: Int) async throws {
        let store = MemoryStore<Int>(shardCount: 8)
        let writers = 2, opsPerWriter = 20_000, keySpace = 64
        let big = WatchOptions(bufferSize: 1 << 16)
        let initialWatchers = try (0..<3).map { _ in try store.watch(Self.kind, options: big) }
        let tiny = try store.watch(Self.kind, options: WatchOptions(bufferSize: 4))
        let cancelled = try store.watch(Self.kind, options: big)

        let results = try await withDeadline(120, "stress round \(round)") {
            try await withThrowingTaskGroup(of: (String, Outcome, [String: Int], Int).self) { group in
                for (index, watch) in initialWatchers.enumerated() {
                    group.addTask { let r = try await Self.consume(watch); return ("initial-\(index)", r.0, r.1, r.2) }
                }
                group.addTask { let r = try await Self.consume(tiny); return ("tiny", r.0, r.1, r.2) }
                group.addTask { let r = try await Self.consume(cancelled, cancelAfter: 100); return ("cancelled", r.0, r.1, r.2) }
                // Readers checking that setMany is atomic for snapshots, until the writers finish.
                let writing = Atomic<Bool>(true)
                group.addTask {
                    while writing.load(ordering: .relaxed) {
                        let snapshot = try store.list(Self.kind, where: [])
                        if let left = snapshot["pair-left"] {
                            #expect(snapshot["pair-right"] == left, "setMany must be atomic for readers")
                        }
                        _ = try store.count(Self.kind)
                        await Task.yield()
                    }
                    return ("reader", .converged, [:], 0)
                }
                // A watcher that joins mid-stream with replay, subscribed from a writer thread.
                let late = LockedBox<Watch<Int>?>(nil)
                await onThreads(writers) { writer in
                    var random = XorShift(seed: UInt64(round * 100 + writer + 1))
                    for op in 0..<opsPerWriter {
                        if writer == 0 && op == opsPerWriter / 2 {
                            let watch = try? store.watch(Self.kind, options: WatchOptions(initialReplay: true, bufferSize: 1 << 16))
                            late.withLock { $0 = watch }
                        }
                        let key = "k\(Int(random.next() % UInt64(keySpace)))"
                        switch random.next() % 10 {
                        case 0: _ = try? store.delete(Self.kind, key)
                        case 1: _ = try? store.update(Self.kind, key) { $0 += 1 }
                        case 2: try? store.setMany(Self.kind, ["pair-left": op, "pair-right": op])
                        default: _ = try? store.set(Self.kind, key, Int(random.next() % 1000))
                        }
                    }
                }
                writing.store(false, ordering: .relaxed)
                let lateWatch = try #require(late.withLock { $0 })
                group.addTask { let r = try await Self.consume(lateWatch); return ("late-replay", r.0, r.1, r.2) }
                let final = try store.list(Self.kind, where: [])
                try store.close()
                var results: [(String, Outcome, [String: Int], Int)] = []
                for try await result in group { results.append(result) }
                return results.map { ($0.0, $0.1, $0.2 == final, $0.3) }
            }
        }
        for (name, outcome, matches, count) in results where name != "reader" {
            switch name {
            case "tiny":
                #expect(outcome == .overflowed || (outcome == .converged && matches), "tiny watcher: \(outcome)")
            case "cancelled":
                #expect(outcome == .cancelled && count == 100, "cancelled watcher: \(outcome) after \(count) events")
            default:
                #expect(outcome == .converged && matches, "\(name) ended \(outcome) after \(count) events; converged: \(matches)")
            }
        }
        #expect(store.watcherCount(Self.kind) == 0)
    }

    @Test func cancellingConsumingTasksEndsTheirStreams() async throws {
        let store = MemoryStore<Int>()
        let watches = try (0..<8).map { _ in try store.watch(Self.kind, options: WatchOptions(bufferSize: 1 << 16)) }
        let started = Atomic<Int>(0)
        try await withDeadline(30, "cancelled consumers") {
            let tasks = watches.map { watch in
                Task {
                    var received = 0
                    for try await _ in watch { received += 1 }
                    return received
                }
            }
            await onThreads(2) { writer in
                for index in 0..<2_000 { _ = try? store.set(Self.kind, "w\(writer)-\(index % 10)", index) }
            }
            for task in tasks { task.cancel() }
            for task in tasks { _ = try await task.value }
            started.add(1, ordering: .relaxed)
        }
        #expect(started.load(ordering: .relaxed) == 1)
        #expect(store.watcherCount(Self.kind) == 0)
    }
}
