import Zestor

extension CaseContext {
    func setResults() async throws {
        try await withStore { store in
            let first = ConformanceValue("a", 1), second = ConformanceValue("a", 2)
            try expectEqual(await store.set("things", "k", first), .created, "set of a new key")
            try expectEqual(await store.get("things", "k"), first, "the created value")
            try expectEqual(await store.set("things", "k", first), .unchanged, "set of an equal value")
            try expectEqual(await store.set("things", "k", second), .updated, "set of a different value")
            try expectEqual(await store.get("things", "k"), second, "the updated value")
            try await store.delete("things", "k")
            try expectEqual(await store.set("things", "k", second), .created, "set of a deleted key")
        }
    }

    func unchangedWritesEmitNothing() async throws {
        try await withStore { store in
            let one = ConformanceValue("x", 1), two = ConformanceValue("x", 2)
            try await expectChanges(store, "things", [Change(.create, "a", one), Change(.update, "a", two)],
                                    "writes of which only two change anything") {
                try await store.set("things", "a", one)
                try await store.set("things", "a", one)
                try await store.set("things", "a", two)
                try await store.set("things", "a", two)
                try await store.setMany("things", ["a": two])
                try await store.update("things", "a") { $0.n = 2 }
                try await store.delete("things", "missing")
                try await store.setMany("things", [:])
            }
        }
    }

    func updateTransforms() async throws {
        try await withStore { store in
            try await store.set("things", "k", ConformanceValue("x", 1))
            var calls = 0
            let expected = ConformanceValue("x", 42)
            try await expectChanges(store, "things", [Change(.update, "k", expected)], "one update") {
                try expectEqual(await store.update("things", "k") { value in
                    calls += 1
                    value.n += 41
                }, true, "update that changes the value")
            }
            try expect(calls >= 1, "the transform to run inside the call", saw: "\(calls) calls")
            try expectEqual(await store.get("things", "k"), expected, "the transformed value")
        }
    }

    func updateMissingKey() async throws {
        try await withStore { store in
            try await store.set("things", "present", ConformanceValue("x", 1))
            var calls = 0
            try await expectChanges(store, "things", [], "updates of missing keys") {
                try await expectError(StoreError.keyNotFound(kind: "things", key: "absent"), "update of a missing key") {
                    try await store.update("things", "absent") { value in
                        calls += 1
                        value.n = 7
                    }
                }
                try await expectError(StoreError.keyNotFound(kind: "nowhere", key: "present"),
                                      "update of a key that exists only in another kind") {
                    try await store.update("nowhere", "present") { $0.n = 7 }
                }
            }
            try expect(calls == 0, "the transform not to run for a missing key", saw: "\(calls) calls")
            try expectEqual(await store.get("things", "absent"), nil, "the missing key after update")
            try expectEqual(await store.count("nowhere"), 0, "count of the other kind after update")
        }
    }

    func updateThrowingTransform() async throws {
        try await withStore { store in
            let original = ConformanceValue("x", 1)
            try await store.set("things", "k", original)
            try await expectChanges(store, "things", [], "an update whose transform throws") {
                try await expectError(TransformFailed(token: 31337), "update whose transform throws (after mutating)") {
                    try await store.update("things", "k") { value in
                        value.n = 999
                        value.name = "mutated"
                        throw TransformFailed(token: 31337)
                    }
                }
            }
            try expectEqual(await store.get("things", "k"), original, "the value after the failed transform")
        }
    }

    func updateUnchanged() async throws {
        try await withStore { store in
            let original = ConformanceValue("x", 1)
            try await store.set("things", "k", original)
            try await expectChanges(store, "things", [], "updates that change nothing") {
                try expectEqual(await store.update("things", "k") { _ in }, false, "update with a no-op transform")
                try expectEqual(await store.update("things", "k") { $0 = ConformanceValue("x", 1) }, false,
                                      "update to an equal value")
                try expectEqual(await store.update("things", "k") { value in
                    value.n = 5
                    value.n = 1
                }, false, "update that changes and restores the value")
            }
            try expectEqual(await store.get("things", "k"), original, "the value after no-op updates")
        }
    }

    func setManyMerges() async throws {
        try await withStore { store in
            let old = ConformanceValue("old", 0)
            for key in ["a", "b", "c"] { try await store.set("things", key, old) }
            let fresh = ConformanceValue("new", 1)
            try await store.setMany("things", ["b": fresh, "d": fresh])
            try expectEqual(await store.list("things"), ["a": old, "b": fresh, "c": old, "d": fresh],
                                  "the kind after setMany of b and d over a, b, c")
            try await store.setMany("things", [:])
            try expectEqual(await store.count("things"), 4, "count after an empty setMany")
            try await store.setMany("fresh-kind", ["x": fresh])
            try expectEqual(await store.list("fresh-kind"), ["x": fresh], "setMany into a new kind")
        }
    }

    func setManySkipsUnchanged() async throws {
        try await withStore { store in
            let one = ConformanceValue("x", 1), two = ConformanceValue("x", 2)
            try await expectChanges(store, "things", [
                Change(.create, "a", one), Change(.create, "b", one),
                Change(.update, "b", two), Change(.create, "c", two),
            ], "three setMany calls, partly unchanged") {
                try await store.setMany("things", ["a": one, "b": one])
                try await store.setMany("things", ["a": one, "b": two, "c": two])
                try await store.setMany("things", ["a": one, "b": two, "c": two])
            }
        }
    }

    func setManyKeyOrder() async throws {
        for round in 0..<max(3, rounds / 4) {
            try await withStore { store in
                var random = SplitMix64(seed: round)
                var batch: [String: ConformanceValue] = [:]
                let alphabet = Array("aBz09-_.~Q")
                while batch.count < 24 {
                    let key = String((0..<(1 + random.below(4))).map { _ in alphabet[random.below(alphabet.count)] })
                    batch[key] = ConformanceValue("m", random.below(100))
                }
                // Half the keys exist already (some with the same value): a mix of creates, updates and skips.
                for (index, key) in batch.keys.sorted().enumerated() where index % 2 == 0 {
                    try await store.set("things", key, ConformanceValue(index % 4 == 0 ? "m" : "old", batch[key]!.n))
                }
                let before = try await store.list("things")
                let events = try await record(store, "things") { try await store.setMany("things", batch) }
                let keys = events.map(\.key)
                try expect(keys == keys.sorted(), "round \(round): setMany's events in key order",
                           saw: show(keys, limit: 30))
                let expected = batch.keys.sorted().filter { before[$0] != batch[$0] }
                try expect(keys == expected, "round \(round): one event per changed key \(show(expected, limit: 30))",
                           saw: show(keys, limit: 30))
            }
        }
    }

    func setManyValidatorAtomic() async throws {
        let options = StoreOptions<ConformanceValue>(validators: ["guarded": { value in
            if value.n < 0 { throw Rejected(value: value) }
        }])
        let keys = (0..<20).map { "k\(String($0 + 10))" }
        for position in [0, keys.count / 2, keys.count - 1] {
            try await withStore(options) { store in
                let bad = ConformanceValue("bad", -position - 1)
                var batch = Dictionary(uniqueKeysWithValues: keys.map { ($0, ConformanceValue("good", 1)) })
                batch[keys[position]] = bad
                try await expectChanges(store, "guarded", [], "a rejected setMany into an empty kind") {
                    try await expectError(Rejected(value: bad), "setMany with an invalid value at key #\(position)") {
                        try await store.setMany("guarded", batch)
                    }
                }
                try expectEqual(await store.list("guarded"), [:], "the kind after a rejected setMany (bad key #\(position))")

                let old = ConformanceValue("old", 0)
                for key in keys { try await store.set("guarded", key, old) }
                let before = try await store.list("guarded")
                try await expectChanges(store, "guarded", [], "a rejected setMany over existing keys") {
                    try await expectError(Rejected(value: bad), "setMany over existing keys with an invalid value at key #\(position)") {
                        try await store.setMany("guarded", batch.merging(["new-key": ConformanceValue("good", 2)]) { $1 })
                    }
                }
                try expectEqual(await store.list("guarded"), before, "the kind after a rejected setMany over existing keys")
            }
        }
    }

    func deleteReturnsPrevious() async throws {
        try await withStore { store in
            let value = ConformanceValue("x", 1)
            try await store.set("things", "k", value)
            try await store.set("things", "stays", value)
            try await expectChanges(store, "things", [Change(.delete, "k", value)], "one delete, then deletes of missing keys") {
                try expectEqual(await store.delete("things", "k"), value, "delete of a present key")
                try expectEqual(await store.delete("things", "k"), nil, "second delete of the key")
                try expectEqual(await store.delete("things", "never"), nil, "delete of a key never written")
                try expectEqual(await store.delete("nowhere", "stays"), nil, "delete in a kind never written")
            }
            try expectEqual(await store.get("things", "k"), nil, "the deleted key")
            try expectEqual(await store.list("things"), ["stays": value], "the kind after the delete")
        }
    }
}
