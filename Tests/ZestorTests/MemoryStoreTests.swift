import Foundation
import Testing
import Zestor

@Suite("MemoryStore")
struct MemoryStoreTests {
    @Test func shardCountIsRoundedUpToAPowerOfTwo() {
        #expect(MemoryStore<Int>(shardCount: 5).shardCount == 8)
        #expect(MemoryStore<Int>(shardCount: 0).shardCount == 1)
        #expect(MemoryStore<Int>().shardCount == 32)
    }

    @Test(arguments: [1, 2, 64])
    func readsAndWritesAcrossShardCounts(shards: Int) throws {
        let store = MemoryStore<Int>(shardCount: shards)
        for index in 0..<500 { try store.set("numbers", "k\(index)", index) }
        try store.set("other", "k1", -1)
        #expect(try store.count("numbers") == 500)
        #expect(try store.get("numbers", "k42") == 42)
        #expect(try store.get("other", "k42") == nil)
        #expect(try store.list("numbers").count == 500)
        #expect(Set(try store.keys("numbers")) == Set((0..<500).map { "k\($0)" }))
        #expect(try store.values("numbers").reduce(0) { $0 + $1.value } == (0..<500).reduce(0, +))
        let all = try store.getAll()
        #expect(all.count == 2)
        #expect(all["other"] == ["k1": -1])
        #expect(try store.delete("numbers", "k42") == 42)
        #expect(try store.count("numbers") == 499)
    }

    @Test func versionsStartAtOneAndGrowOnEveryChange() throws {
        let store = MemoryStore<String>()
        try store.set("k", "a", "x")
        #expect(try store.getVersioned("k", "a") == Versioned(value: "x", version: 1))
        try store.set("k", "a", "x")  // unchanged: no new version
        #expect(try store.getVersioned("k", "a")?.version == 1)
        try store.set("k", "a", "y")
        try store.update("k", "a") { $0 += "!" }
        #expect(try store.getVersioned("k", "a") == Versioned(value: "y!", version: 3))
        try store.delete("k", "a")
        try store.set("k", "a", "z")
        #expect(try store.getVersioned("k", "a")?.version == 1)
    }

    @Test("events say why they happened: replay entries, then this store's writes")
    func eventCauses() async throws {
        let store = MemoryStore<String>()
        try store.set("k", "a", "x")
        let watch = try store.watch("k", options: WatchOptions(initialReplay: true))
        try store.set("k", "b", "y")
        try store.delete("k", "a")
        try store.close()
        let events = try await allEvents(watch).map { "\($0.type) \($0.key) \($0.cause)" }
        #expect(events == ["create a replay", "create b write", "delete a write"])
    }

    @Test func compareAndSetChecksTheVersion() throws {
        let store = MemoryStore<String>()
        #expect(try store.compareAndSet("k", "a", "first", expectedVersion: nil) == 1)
        #expect(throws: StoreError.versionConflict(kind: "k", key: "a", expected: nil, actual: 1)) {
            try store.compareAndSet("k", "a", "again", expectedVersion: nil)
        }
        #expect(try store.compareAndSet("k", "a", "second", expectedVersion: 1) == 2)
        #expect(throws: StoreError.versionConflict(kind: "k", key: "a", expected: 1, actual: 2)) {
            try store.compareAndSet("k", "a", "stale", expectedVersion: 1)
        }
        #expect(try store.get("k", "a") == "second")
    }

    @Test func valuesThatAreNotEquatableAlwaysCountAsChanges() throws {
        struct Opaque: Sendable { let n: Int }
        let store = MemoryStore<Opaque>()
        #expect(try store.set("k", "a", Opaque(n: 1)) == .created)
        #expect(try store.set("k", "a", Opaque(n: 1)) == .updated)
    }

    @Test func bufferSizeBelowOneIsRejected() throws {
        let store = MemoryStore<Int>()
        #expect(throws: StoreError.outOfRange(parameter: "WatchOptions.bufferSize", value: "0", requirement: "at least 1")) {
            try store.watch("k", options: WatchOptions(bufferSize: 0))
        }
        #expect(store.watcherCount("k") == 0)
    }

    @Test func endedWatchesLeaveNoSubscriptionBehind() async throws {
        let store = MemoryStore<Int>()
        do {
            let released = try await store.watch("k")
            let cancelled = try await store.watch("k")
            #expect(store.watcherCount("k") == 2)
            cancelled.cancel()
            #expect(store.watcherCount("k") == 1)
            _ = released
        }
        #expect(store.watcherCount("k") == 0)

        let overflowing = try store.watch("k", options: WatchOptions(bufferSize: 2))
        for index in 0..<5 { try store.set("k", "a", index) }
        var iterator = overflowing.makeAsyncIterator()
        await #expect(throws: StoreError.watchOverflow(kind: "k")) { _ = try await iterator.next() }
        #expect(store.watcherCount("k") == 0)
        #expect(try await iterator.next() == nil)  // ended exactly once
    }

    @Test func aWatchHasASingleConsumer() async throws {
        let store = MemoryStore<Int>()
        let watch = try await store.watch("k")
        var first = watch.makeAsyncIterator()
        var second = watch.makeAsyncIterator()
        await #expect(throws: StoreError.self) { _ = try await second.next() }
        try store.set("k", "a", 1)
        let event = try await first.next()
        #expect(event?.key == "a")
        #expect(event?.value == 1)
    }

    /// `for await` over a watch runs in the consumer's own isolation (the iterator's `next` is
    /// `nonisolated(nonsending)`): an actor and the main actor can consume while they keep using
    /// their own state between events, and writers on other threads feed them.
    @Test func actorIsolatedConsumersReceiveEveryEvent() async throws {
        let store = MemoryStore<Int>()
        let tally = Tally()
        let actorWatch = try store.watch("k", options: WatchOptions(bufferSize: 10_000))
        let mainWatch = try store.watch("k", options: WatchOptions(bufferSize: 10_000))
        let consumers = (
            Task { try await tally.consume(actorWatch, count: 5_000) },
            Task { @MainActor in try await MainActorTally.consume(mainWatch, count: 5_000) }
        )
        let writer = Thread {
            for index in 0..<5_000 { _ = try? store.set("k", "a\(index % 10)", index) }
        }
        writer.start()
        #expect(try await consumers.0.value == Array(0..<5_000))
        #expect(try await consumers.1.value == Array(0..<5_000))
    }

    /// A consumer with a large buffer waits for a batch (the writer wakes it after a sixteenth
    /// of its buffer) or at most its pause: a trickle still arrives event by event, a burst
    /// arrives complete and in order, and `cancel()` ends a consumer parked for a batch.
    @Test(.timeLimit(.minutes(1)))
    func largeBufferConsumersGetTricklesBurstsAndCancellation() async throws {
        let store = MemoryStore<Int>()
        let watch = try store.watch("k", options: WatchOptions(bufferSize: 65_536))
        var iterator = watch.makeAsyncIterator()
        for value in 0..<4 {
            try store.set("k", "a", value)
            #expect(try await iterator.next()?.value == value)
        }
        // Fewer events than the buffer holds, so that no consumer speed (Thread Sanitizer
        // included) can overflow, and many batches of 4,096.
        let burst = 4..<60_004
        let writer = Thread {
            for value in burst { _ = try? store.set("k", "b\(value % 100)", value) }
        }
        writer.start()
        var outOfOrder = 0
        for expected in burst where try await iterator.next()?.value != expected { outOfOrder += 1 }
        #expect(outOfOrder == 0)
        let parked = Task { [iterator] in
            var iterator = iterator
            return try await iterator.next()
        }
        try await Task.sleep(for: .milliseconds(20))
        watch.cancel()
        #expect(try await parked.value == nil)
    }

    /// Values a consumer copied from the ring but never took — the rest of its batch — are
    /// released with its iterator, exactly once (no leak, no double release).
    @Test func untakenEventsAreReleasedWithTheIterator() async throws {
        let live = LiveCount()
        do {
            let store = MemoryStore<Tracked>()
            for index in 0..<40 { try store.set("k", "a\(index % 3)", Tracked(index, live)) }
            do {
                // Dropped in the middle of a batch.
                let watch = try store.watch("k", options: WatchOptions(bufferSize: 64))
                var iterator = watch.makeAsyncIterator()
                for index in 40..<80 { try store.set("k", "a\(index % 3)", Tracked(index, live)) }
                for expected in 40..<45 { #expect(try await iterator.next()?.value.index == expected) }
            }
            do {
                // Ended by cancellation in the middle of a batch.
                let watch = try store.watch("k", options: WatchOptions(bufferSize: 64))
                var iterator = watch.makeAsyncIterator()
                for index in 80..<120 { try store.set("k", "a\(index % 3)", Tracked(index, live)) }
                for expected in 80..<85 { #expect(try await iterator.next()?.value.index == expected) }
                watch.cancel()
                #expect(try await iterator.next() == nil)
            }
            #expect(live.value == 3)  // the three stored values: rings and batches released theirs
            try store.close()
        }
        #expect(live.value == 0)
    }

    @Test func aLargerBufferGrowsTheRingWithoutLosingEvents() async throws {
        let store = MemoryStore<Int>()
        let small = try store.watch("k", options: WatchOptions(bufferSize: 16))
        for index in 0..<10 { try store.set("k", "a\(index)", index) }
        let large = try store.watch("k", options: WatchOptions(bufferSize: 1000))
        for index in 10..<15 { try store.set("k", "a\(index)", index) }
        var smallIterator = small.makeAsyncIterator()
        for expected in 0..<15 {
            #expect(try await smallIterator.next()?.value == expected)
        }
        for index in 15..<515 { try store.set("k", "a\(index)", index) }
        var largeIterator = large.makeAsyncIterator()
        for expected in 10..<515 {
            let event = try await largeIterator.next()
            #expect(event?.value == expected)
        }
        await #expect(throws: StoreError.watchOverflow(kind: "k")) { _ = try await smallIterator.next() }
    }

    @Test func closeDeliversWhatWasPublishedThenEnds() async throws {
        let store = MemoryStore<Int>()
        let watch = try await store.watch("k")
        try store.set("k", "a", 1)
        try store.set("k", "a", 2)
        try store.close()
        var received: [Int] = []
        for try await event in watch { received.append(event.value) }
        #expect(received == [1, 2])
        #expect(throws: StoreError.closed) { try store.get("k", "a") }
        try store.close()  // idempotent
    }

    @Test func externalSourcesCanBeWrappedInAWatch() async throws {
        let (stream, continuation) = AsyncStream<Event<Int>>.makeStream()
        let cancelled = Counter()
        let watch = Watch<Int>(stream, onCancel: { cancelled.increment() })
        continuation.yield(Event(kind: "k", key: "a", type: .create, value: 1, sequence: 1))
        var iterator = watch.makeAsyncIterator()
        #expect(try await iterator.next()?.value == 1)
        watch.cancel()
        watch.cancel()
        #expect(try await iterator.next() == nil)
        #expect(cancelled.value == 1)

        let (finite, finiteContinuation) = AsyncStream<Event<Int>>.makeStream()
        let notCancelled = Counter()
        let finished = Watch<Int>(finite, onCancel: { notCancelled.increment() })
        finiteContinuation.finish()
        for try await _ in finished {}
        #expect(notCancelled.value == 0)
    }
}

/// A thread-safe counter for callbacks.
final class Counter: Sendable {
    private let box = LockedBox(0)
    func increment() { box.withLock { $0 += 1 } }
    var value: Int { box.withLock { $0 } }
}

/// Counts the ``Tracked`` values alive.
private final class LiveCount: Sendable {
    private let count = LockedBox(0)
    var value: Int { count.withLock { $0 } }
    func add(_ delta: Int) { count.withLock { $0 += delta } }
}

/// A value whose instances are counted, to prove the store releases what it held.
private final class Tracked: Sendable {
    let index: Int
    private let live: LiveCount

    init(_ index: Int, _ live: LiveCount) {
        self.index = index
        self.live = live
        live.add(1)
    }

    deinit { live.add(-1) }
}

/// Consumes a watch inside an actor, appending each value to actor state between events.
private actor Tally {
    private var values: [Int] = []

    func consume(_ watch: Watch<Int>, count: Int) async throws -> [Int] {
        for try await event in watch {
            values.append(event.value)
            if values.count == count { break }
        }
        return values
    }
}

/// Consumes a watch on the main actor.
@MainActor
private enum MainActorTally {
    static func consume(_ watch: Watch<Int>, count: Int) async throws -> [Int] {
        var values: [Int] = []
        for try await event in watch {
            MainActor.assertIsolated()
            values.append(event.value)
            if values.count == count { break }
        }
        return values
    }
}

@Suite("Store.dump")
struct StoreDumpTests {
    @Test("kinds in order, then '  key: value' per key in key order; empty store dumps nothing")
    func dumpFormat() async throws {
        let store = MemoryStore<Int>()
        #expect(try await store.dump() == "")
        try store.setMany("users", ["bob": 2, "alice": 1])
        try store.set("products", "laptop", 999)
        try store.set("a kind", "k", 0)
        #expect(try await store.dump() == "a kind:\n  k: 0\nproducts:\n  laptop: 999\nusers:\n  alice: 1\n  bob: 2\n")
        var text = "before\n"
        try await store.dump(to: &text) { "#\($0)" }
        #expect(text == "before\na kind:\n  k: #0\nproducts:\n  laptop: #999\nusers:\n  alice: #1\n  bob: #2\n")
        try store.close()
        await #expect(throws: StoreError.closed) { _ = try await store.dump() }
    }

    @Test("a DurableStore dumps what it holds")
    func durableDump() async throws {
        let store = try await DurableStore<Int>.open(backend: InMemoryBackend())
        try await store.set("k", "b", 2)
        try await store.set("k", "a", 1)
        #expect(try await store.dump() == "k:\n  a: 1\n  b: 2\n")
        try await store.close()
    }
}
