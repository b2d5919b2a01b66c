import Zestor

extension CaseContext {
    /// ``withStore(_:_:)`` for a store that must be a `VersionedStore`.
    func withVersionedStore<T>(
        _ options: StoreOptions<ConformanceValue> = .init(),
        _ body: (any VersionedStore<ConformanceValue>) async throws -> T
    ) async throws -> T {
        try await withStore(options, as: (any VersionedStore<ConformanceValue>).self, body)
    }

    func compareAndSetVersions() async throws {
        let options = StoreOptions<ConformanceValue>(validators: [
            "things": { value in if value.n < 0 { throw Rejected(value: value) } },
        ])
        try await withVersionedStore(options) { store in
            let one = ConformanceValue("v", 1), two = ConformanceValue("v", 2), three = ConformanceValue("v", 3)
            try await expectChanges(store, "things", [Change(.create, "k", one), Change(.update, "k", two)],
                                    "two compare-and-sets that succeed, around ones that fail or change nothing") {
                try await expectError(StoreError.versionConflict(kind: "things", key: "k", expected: 4, actual: nil),
                                      "compareAndSet of a missing key expecting version 4") {
                    try await store.compareAndSet("things", "k", one, expectedVersion: 4)
                }
                try expectEqual(try await store.compareAndSet("things", "k", one, expectedVersion: nil), 1,
                                "the version compareAndSet creates a key at")
                try await expectError(StoreError.versionConflict(kind: "things", key: "k", expected: nil, actual: 1),
                                      "compareAndSet expecting absence of a present key") {
                    try await store.compareAndSet("things", "k", two, expectedVersion: nil)
                }
                try await expectError(StoreError.versionConflict(kind: "things", key: "k", expected: 2, actual: 1),
                                      "compareAndSet expecting a later version") {
                    try await store.compareAndSet("things", "k", two, expectedVersion: 2)
                }
                try await expectError(Rejected(value: ConformanceValue("v", -1)), "compareAndSet of an invalid value") {
                    try await store.compareAndSet("things", "k", ConformanceValue("v", -1), expectedVersion: 1)
                }
                try expectEqual(try await store.compareAndSet("things", "k", two, expectedVersion: 1), 2,
                                "the version of a compare-and-set at the current version")
                try expectEqual(try await store.compareAndSet("things", "k", two, expectedVersion: 2), 2,
                                "the version after a compare-and-set of an equal value (unchanged)")
                try await expectError(StoreError.versionConflict(kind: "things", key: "k", expected: 1, actual: 2),
                                      "compareAndSet of an equal value at a stale version") {
                    try await store.compareAndSet("things", "k", two, expectedVersion: 1)
                }
            }
            try expectEqual(try await store.getVersioned("things", "k"), Versioned(value: two, version: 2),
                            "the key after the compare-and-sets")
            try expectEqual(try await store.getVersioned("things", "missing"), nil, "getVersioned of a missing key")
            try await store.set("things", "k", three)
            try expectEqual(try await store.getVersioned("things", "k")?.version, 3, "the version after a set")
            try await store.delete("things", "k")
            let recreated = try await store.compareAndSet("things", "k", one, expectedVersion: nil)
            try expectEqual(try await store.getVersioned("things", "k"), Versioned(value: one, version: recreated),
                            "a deleted key created again by compareAndSet")
            try await expectError(StoreError.kindRequired, "compareAndSet with an empty kind") {
                try await store.compareAndSet("", "k", one, expectedVersion: nil)
            }
        }
        try await compareAndSetOfExpiredEntry()
    }

    /// An expired entry counts as absent (stores that are also `CachingStore`s).
    private func compareAndSetOfExpiredEntry() async throws {
        let clock = ManualExpiryClock()
        try await withVersionedStore(cachingOptions(clock)) { store in
            guard let caching = store as? any CachingStore<ConformanceValue> else { return }
            try await caching.set("things", "k", ConformanceValue("old", 1), expiration: .after(.seconds(5)))
            clock.advance(by: .seconds(5))
            try await expectError(StoreError.versionConflict(kind: "things", key: "k", expected: 1, actual: nil),
                                  "compareAndSet of an expired entry at its version") {
                try await store.compareAndSet("things", "k", ConformanceValue("new", 2), expectedVersion: 1)
            }
            let version = try await store.compareAndSet("things", "k", ConformanceValue("new", 2), expectedVersion: nil)
            try expectEqual(try await store.getVersioned("things", "k"), Versioned(value: ConformanceValue("new", 2), version: version),
                            "the key compareAndSet created over an expired entry")
        }
    }

    func compareAndDeleteVersions() async throws {
        try await withVersionedStore { store in
            let one = ConformanceValue("v", 1), two = ConformanceValue("v", 2)
            try await store.set("things", "k", one)
            try await store.set("things", "k", two)
            try await expectChanges(store, "things", [Change(.delete, "k", two)], "one compare-and-delete that succeeds") {
                try await expectError(StoreError.versionConflict(kind: "things", key: "k", expected: 1, actual: 2),
                                      "compareAndDelete at a stale version") {
                    try await store.compareAndDelete("things", "k", expectedVersion: 1)
                }
                try await expectError(StoreError.versionConflict(kind: "things", key: "missing", expected: 1, actual: nil),
                                      "compareAndDelete of a missing key") {
                    try await store.compareAndDelete("things", "missing", expectedVersion: 1)
                }
                try expectEqual(try await store.compareAndDelete("things", "k", expectedVersion: 2), two,
                                "the value compareAndDelete at the current version returns")
            }
            try expectEqual(try await store.get("things", "k"), nil, "the key after compareAndDelete")
            try await expectError(StoreError.versionConflict(kind: "things", key: "k", expected: 2, actual: nil),
                                  "a second compareAndDelete at the same version") {
                try await store.compareAndDelete("things", "k", expectedVersion: 2)
            }
        }
    }

    func compareAndSetRace() async throws {
        try await withVersionedStore { store in
            let racers = 4
            for round in 0..<rounds {
                let key = "race-\(round)"
                try await store.set("things", key, ConformanceValue("start", 0))
                let base = try await store.getVersioned("things", key)?.version ?? 0
                let outcomes = try await timed("\(racers) compare-and-sets of one key at one version") {
                    try await withThrowingTaskGroup(of: Result<UInt64, StoreError>.self) { group in
                        for racer in 1...racers {
                            group.addTask {
                                do {
                                    return .success(try await store.compareAndSet("things", key, ConformanceValue("racer", racer),
                                                                                  expectedVersion: base))
                                } catch let error as StoreError {
                                    return .failure(error)
                                }
                            }
                        }
                        return try await group.reduce(into: []) { $0.append($1) }
                    }
                }
                let winners = outcomes.compactMap { try? $0.get() }
                try expect(winners == [base + 1], "exactly one of \(racers) racing compare-and-sets to win, at version \(base + 1)",
                           saw: "\(outcomes)")
                for case .failure(let error) in outcomes {
                    try expectEqual(error, .versionConflict(kind: "things", key: key, expected: base, actual: base + 1),
                                    "the error of a compare-and-set that lost the race")
                }
            }
            // Increments by read, compare-and-set, retry: none is lost.
            let incrementers = 4, increments = 10
            try await store.set("things", "counter", ConformanceValue("counter", 0))
            try await timed("\(incrementers) tasks incrementing one key by compare-and-set") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<incrementers {
                        group.addTask {
                            for _ in 0..<increments {
                                while true {
                                    guard let current = try await store.getVersioned("things", "counter") else { return }
                                    var next = current.value
                                    next.n += 1
                                    do {
                                        try await store.compareAndSet("things", "counter", next, expectedVersion: current.version)
                                        break
                                    } catch StoreError.versionConflict {
                                        continue
                                    }
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try expectEqual(try await store.get("things", "counter")?.n, incrementers * increments,
                            "the counter after \(incrementers * increments) compare-and-set increments")
        }
    }
}
