import Testing
import Zestor
import ZestorConformance

/// Runs the conformance suite against ``MemoryStore``, plus the one rule the suite cannot
/// check through the `Store` protocol: releasing a `Watch` ends its subscription.
@Suite("MemoryStore conformance")
struct MemoryStoreConformanceTests {
    static let suite = ConformanceSuite { options in
        MemoryStore<ConformanceValue>(options: options)
    }

    @Test("MemoryStore passes the conformance case", arguments: ConformanceCase.allCases)
    func conformance(_ testCase: ConformanceCase) async throws {
        try await Self.suite.run(testCase)
    }

    @Test("MemoryStore with one shard passes the racy watch cases",
          arguments: [ConformanceCase.watchOrdering, .replayPrecedesLive, .sequenceIncreasing, .closeEndsWatch])
    func singleShard(_ testCase: ConformanceCase) async throws {
        let suite = ConformanceSuite(rounds: 10) { options in
            MemoryStore<ConformanceValue>(options: options, shardCount: 1)
        }
        try await suite.run(testCase)
    }

    @Test("Releasing a Watch that was never iterated ends its subscription")
    func releasingUnreadWatch() async throws {
        let store = MemoryStore<ConformanceValue>()
        do {
            let watch = try store.watch("things", options: WatchOptions())
            #expect(store.watcherCount("things") == 1)
            _ = watch
        }
        try store.set("things", "k", ConformanceValue(name: "x", n: 1))
        try await expectWatcherCount(store, "things", 0)
        try store.close()
    }

    @Test("Releasing a Watch and its iterator after reading ends the subscription")
    func releasingReadWatch() async throws {
        let store = MemoryStore<ConformanceValue>()
        try await readOne(store)
        #expect(try store.set("things", "k", ConformanceValue(name: "x", n: 2)) == .updated)
        try await expectWatcherCount(store, "things", 0)
        try store.close()
    }

    @Test("Every way a watch ends leaves no subscription behind")
    func endedWatchesLeaveNoSubscription() async throws {
        let store = MemoryStore<ConformanceValue>()
        let cancelled = try store.watch("things", options: WatchOptions())
        let replaying = try store.watch("things", options: WatchOptions(initialReplay: true, eventTypes: [.delete]))
        let consumer = Task {
            for try await _ in replaying {}
        }
        #expect(store.watcherCount("things") == 2)
        cancelled.cancel()
        try await expectWatcherCount(store, "things", 1)
        consumer.cancel()
        try await consumer.value
        try await expectWatcherCount(store, "things", 0)

        let open = try store.watch("things", options: WatchOptions())
        let unread = try store.watch("things", options: WatchOptions())
        #expect(store.watcherCount("things") == 2)
        try store.close()
        // Closing ends every subscription at once, read or not.
        #expect(store.watcherCount("things") == 0)
        for try await _ in open {}
        _ = unread
    }

    @Test("Closing the store leaves no subscription, whether the watches were read or not")
    func closeLeavesNoSubscription() async throws {
        let store = MemoryStore<ConformanceValue>()
        do {
            let unread = try store.watch("things", options: WatchOptions())
            let read = try store.watch("things", options: WatchOptions())
            try store.close()
            for try await _ in read {}
            _ = unread
        }
        try await expectWatcherCount(store, "things", 0)
    }

    /// Subscribes, reads one event, and lets the watch and its iterator go.
    private func readOne(_ store: MemoryStore<ConformanceValue>) async throws {
        let watch = try store.watch("things", options: WatchOptions())
        var iterator = watch.makeAsyncIterator()
        try store.set("things", "k", ConformanceValue(name: "x", n: 1))
        let event = try await iterator.next()
        #expect(event?.key == "k")
        #expect(store.watcherCount("things") == 1)
    }

    /// Polls `watcherCount` (a release may be observed a little later) for up to two seconds.
    private func expectWatcherCount(
        _ store: MemoryStore<ConformanceValue>, _ kind: String, _ expected: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let deadline = ContinuousClock.now + .seconds(2)
        while store.watcherCount(kind) != expected && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(store.watcherCount(kind) == expected, sourceLocation: sourceLocation)
    }
}
