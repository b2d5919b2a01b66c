import Zestor

extension DurabilityContext {
    func compareAndSetAcrossStores() async throws {
        try await withStorage { storage in
            try await withStore(on: storage, .writeThrough, "the first racing store") { first in
                try await withStore(on: storage, .writeThrough, "the second racing store") { second in
                    try await withStore(on: storage, mode.writeMode(), "the store writing first") { writer in
                        for key in ["a", "b", "c"] { try await writer.set("k", key, ConformanceValue("writer", 1)) }
                        try await writer.flush()
                    }
                    // The racing stores opened before those writes; unless a change feed delivered
                    // them, their memory does not show them: the storage still decides.
                    // After the conflict, each shows the key at version 1.
                    for key in ["a", "b", "c"] {
                        for store in [first, second] {
                            try await expectConflict(expected: nil, actual: 1,
                                                     "compareAndSet expecting absence of a key another store created") {
                                try await store.compareAndSet("k", key, ConformanceValue("late", 1), expectedVersion: nil)
                            }
                        }
                    }
                    for key in ["a", "b", "c"] {
                        try await race(first, second, on: key)
                    }
                    // A version another store replaced fails, whatever memory shows.
                    let shown = try second.getVersioned("k", "a")
                    try await first.set("k", "a", ConformanceValue("first", 99))
                    let replaced = try first.getVersioned("k", "a")?.version
                    try await expectConflict(expected: shown?.version, actual: replaced,
                                             "compareAndSet at a version the other store replaced") {
                        try await second.compareAndSet("k", "a", ConformanceValue("second", 99),
                                                       expectedVersion: shown?.version)
                    }
                    try expectEqual(try second.getVersioned("k", "a")?.version, replaced,
                                    "the version the losing store shows after the conflict")
                    try expectEqual(try await first.compareAndDelete("k", "a", expectedVersion: replaced ?? 0),
                                    ConformanceValue("first", 99), "the value a compare-and-delete at the current version removed")
                    try await expectConflict(expected: replaced, actual: nil, "compareAndDelete of a key the other store deleted") {
                        try await second.compareAndDelete("k", "a", expectedVersion: replaced ?? 0)
                    }
                    try expectEqual(try second.getVersioned("k", "a"), nil, "the key in the losing store after the conflict")
                }
            }
            try await withStore(on: storage, .writeThrough, "a store reopened on the storage") { store in
                try expectEqual(try store.getVersioned("k", "a"), nil, "the key both stores compare-and-deleted")
                for key in ["b", "c"] {
                    try expectEqual(try store.getVersioned("k", key)?.version, 2, "the version of the race's winner for '\(key)'")
                }
            }
        }
    }

    /// `first` and `second` compare-and-set `key` at version 1 at once: exactly one wins (at
    /// version 2), the other throws a version conflict naming 2 and shows the winner's value.
    private func race(_ first: DurableStore<ConformanceValue>, _ second: DurableStore<ConformanceValue>,
                      on key: String) async throws {
        async let fromFirst = attempt { try await first.compareAndSet("k", key, ConformanceValue("first", 2), expectedVersion: 1) }
        async let fromSecond = attempt { try await second.compareAndSet("k", key, ConformanceValue("second", 2), expectedVersion: 1) }
        let outcomes = try await [fromFirst, fromSecond]
        let winners = outcomes.indices.filter { (try? outcomes[$0].get()) != nil }
        try expect(winners.count == 1 && (try? outcomes[winners[0]].get()) == 2,
                   "exactly one of two stores' compare-and-sets of '\(key)' at version 1 to win, at version 2", saw: "\(outcomes)")
        let winner = winners[0] == 0 ? ConformanceValue("first", 2) : ConformanceValue("second", 2)
        let loser = winners[0] == 0 ? second : first
        if case .failure(let error) = outcomes[1 - winners[0]] {
            try expectEqual(error, .versionConflict(kind: "k", key: key, expected: 1, actual: 2),
                            "the error of the compare-and-set that lost")
        }
        try expectEqual(try loser.getVersioned("k", key), Versioned(value: winner, version: 2),
                        "what the losing store shows of '\(key)' after the conflict")
    }

    private func attempt(_ body: () async throws -> UInt64) async throws -> Result<UInt64, StoreError> {
        do { return .success(try await body()) } catch let error as StoreError { return .failure(error) }
    }

    /// Throws unless `body` throws `StoreError.versionConflict` with these versions.
    private func expectConflict(expected: UInt64?, actual: UInt64?, _ what: String,
                                _ body: () async throws -> Any) async throws {
        let outcome: Result<Any, any Error>
        do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        guard case .failure(StoreError.versionConflict(_, _, let sawExpected, let sawActual)) = outcome,
              sawExpected == expected, sawActual == actual else {
            throw fail("\(what) to throw a version conflict (expected \(expected.map(String.init) ?? "absent"), actual \(actual.map(String.init) ?? "absent"))",
                       saw: "\(outcome)")
        }
    }
}
