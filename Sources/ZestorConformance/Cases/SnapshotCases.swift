import Zestor

extension CaseContext {
    /// ``withStore(_:_:)`` for a store that must be a `SnapshotStore`.
    func withSnapshotStore<T>(
        _ options: StoreOptions<ConformanceValue> = .init(),
        _ body: (any SnapshotStore<ConformanceValue>) async throws -> T
    ) async throws -> T {
        try await withStore(options, as: (any SnapshotStore<ConformanceValue>).self, body)
    }

    func snapshotIsPointInTime() async throws {
        try await withSnapshotStore { store in
            let before: [String: ConformanceValue] = ["a": .init("a", 1), "b": .init("b", 1), "c": .init("c", 1)]
            try await store.setMany("things", before)
            try await store.set("other", "x", ConformanceValue("x", 1))
            let snapshot = try await store.snapshot("things")
            let all = try await store.snapshot()
            try await store.set("things", "a", ConformanceValue("a", 2))
            try await store.delete("things", "b")
            try await store.set("things", "d", ConformanceValue("d", 1))
            try await store.set("other", "y", ConformanceValue("y", 1))

            try expectEqual(snapshot.count, 3, "the count of a snapshot taken before later writes")
            try expectEqual(snapshot.dictionary, before, "a snapshot's entries after later writes")
            try expectEqual(Dictionary(uniqueKeysWithValues: snapshot.map { ($0.key, $0.value) }), before,
                            "the entries a for-in loop over a snapshot yields")
            try expectEqual(snapshot.keys.sorted(), ["a", "b", "c"], "a snapshot's keys")
            var streamed: [String: ConformanceValue] = [:]
            for await entry in snapshot.async { streamed[entry.key] = entry.value }
            try expectEqual(streamed, before, "the entries of a snapshot's async sequence")
            var visited = 0
            snapshot.forEach { _ in visited += 1 }
            try expectEqual(visited, 3, "the entries forEach visits")
            try expectEqual(all.kinds, ["other", "things"], "the kinds of a whole-store snapshot")
            try expectEqual(all["things"].dictionary, before, "a kind of a whole-store snapshot after later writes")
            try expectEqual(all.dictionary, ["things": before, "other": ["x": ConformanceValue("x", 1)]],
                            "a whole-store snapshot as a dictionary")
            try expectEqual(all["nowhere"].isEmpty, true, "a kind missing from a whole-store snapshot")

            let now = try await store.snapshot("things")
            try expectEqual(now.dictionary, try await store.list("things"), "a snapshot taken now against list")
            try expectEqual(try await store.snapshot("nowhere").count, 0, "the snapshot of an unknown kind")
        }
    }

    func snapshotConsistentUnderWrites() async throws {
        try await withSnapshotStore { store in
            let keys = (0..<64).map { "k\($0)" }
            try await store.setMany("things", Dictionary(uniqueKeysWithValues: keys.map { ($0, ConformanceValue("v", 0)) }))
            for _ in 0..<min(rounds, 5) {  // each round keeps a writer busy: a few suffice
                let stop = Flag()
                let writer = Task {
                    var n = 0
                    while !stop.isRaised {
                        n += 1
                        try await store.setMany("things", Dictionary(uniqueKeysWithValues: keys.map { ($0, ConformanceValue("v", n)) }))
                        // A synchronous store never suspends here: pause, so that the writer
                        // does not keep a pool thread busy (the racy cases of other stores run
                        // alongside and must not starve).
                        try await Task.sleep(for: .microseconds(100))
                    }
                }
                for _ in 0..<20 {
                    let snapshot = try await store.snapshot("things")
                    let generations = Set(snapshot.map(\.value.n))
                    try expect(snapshot.count == keys.count && generations.count == 1,
                               "every snapshot taken while setMany rewrites all \(keys.count) keys to hold one generation of them",
                               saw: "\(snapshot.count) entries of generations \(generations.sorted())")
                    await Task.yield()
                }
                stop.raise()
                try await timed("the writer to stop") { try await writer.value }
            }
        }
    }
}
