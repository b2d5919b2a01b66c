import Zestor

extension CaseContext {
    func missingKeyReadsNil() async throws {
        try await withStore { store in
            try expectEqual(await store.get("things", "missing"), nil, "get in an empty store")
            try await store.set("things", "present", ConformanceValue("p", 1))
            try expectEqual(await store.get("things", "missing"), nil, "get of a missing key in a kind that has keys")
            try expectEqual(await store.get("elsewhere", "present"), nil, "get of the key in another kind")
            try await store.delete("things", "present")
            try expectEqual(await store.get("things", "present"), nil, "get of a deleted key")
        }
    }

    func kindsIsolated() async throws {
        try await withStore { store in
            let one = ConformanceValue("one", 1), two = ConformanceValue("two", 2)
            try expectEqual(await store.set("alpha", "k", one), .created, "set alpha/k")
            try expectEqual(await store.set("beta", "k", one), .created,
                                  "set beta/k to the value alpha/k holds (change detection is per kind)")
            try expectEqual(await store.set("beta", "k", two), .updated, "set beta/k to a new value")
            try expectEqual(await store.get("alpha", "k"), one, "alpha/k after writing beta/k")
            try expectEqual(await store.get("beta", "k"), two, "beta/k")
            try await store.set("beta", "only-beta", two)
            try expectEqual(await store.count("alpha"), 1, "count(alpha)")
            try expectEqual(await store.list("alpha"), ["k": one], "list(alpha)")
            try expectEqual(await store.get("alpha", "only-beta"), nil, "alpha/only-beta")
            let all = try await store.getAll()
            try expect(all["alpha"] == ["k": one] && all["beta"] == ["k": two, "only-beta": two],
                       "getAll to hold alpha = [k=one#1] and beta = [k=two#2, only-beta=two#2]",
                       saw: "alpha = \(show(all["alpha"] ?? [:])), beta = \(show(all["beta"] ?? [:]))")
            try expectEqual(await store.delete("alpha", "k"), one, "delete alpha/k")
            try expectEqual(await store.get("beta", "k"), two, "beta/k after deleting alpha/k")

            try await expectChanges(store, "alpha", [Change(.create, "a", one), Change(.create, "b", two)],
                                    "a watch of alpha, while alpha and beta are written,") {
                try await store.set("alpha", "a", one)
                try await store.set("beta", "a", two)
                try await store.set("beta", "b", one)
                try await store.delete("beta", "a")
                try await store.set("alpha", "b", two)
            }
        }
    }

    func emptyKindReads() async throws {
        try await withStore { store in
            try await expectEmpty(store, "nothing", "a kind never written")
            let all = try await store.getAll()
            try expect(all.values.allSatisfy(\.isEmpty), "getAll of an empty store to hold no entries",
                       saw: "\(all)")
            try await store.set("emptied", "k", ConformanceValue("x", 1))
            try await store.delete("emptied", "k")
            try await expectEmpty(store, "emptied", "a kind whose only key was deleted")
            try expectEqual(await store.getAll()["emptied"] ?? [:], [:], "getAll's entry for the emptied kind")
        }
    }

    /// Checks every read of `kind` reports it empty.
    private func expectEmpty(_ store: any Store<ConformanceValue>, _ kind: String, _ what: String) async throws {
        try expectEqual(await store.count(kind), 0, "count of \(what)")
        try expectEqual(await store.list(kind), [:], "list of \(what)")
        try expectEqual(await store.list(kind, where: { _, _ in true }), [:], "filtered list of \(what)")
        try expectEqual(await store.keys(kind), [], "keys of \(what)")
        try expectEqual(await store.values(kind).count, 0, "number of values of \(what)")
        try expectEqual(await store.get(kind, "k"), nil, "get in \(what)")
    }

    func readersAgree() async throws {
        let kinds = ["r1", "r2", "r3"]
        for round in 0..<rounds {
            try await withStore { store in
                var random = SplitMix64(seed: round)
                var model: [String: [String: ConformanceValue]] = [:]
                for step in 0..<200 {
                    let kind = kinds[random.below(kinds.count)]
                    let key = "k\(random.below(16))"
                    let held = model[kind]?[key]
                    let at = "round \(round), step \(step): "
                    switch random.below(10) {
                    case 0..<5:
                        let value = ConformanceValue("v", random.below(4))
                        let expected: SetResult = held == nil ? .created : held == value ? .unchanged : .updated
                        try expectEqual(await store.set(kind, key, value), expected,
                                              "\(at)set \(kind)/\(key) = \(value) over \(describe(held))")
                        model[kind, default: [:]][key] = value
                    case 5..<7:
                        try expectEqual(await store.delete(kind, key), held, "\(at)delete \(kind)/\(key)")
                        model[kind]?[key] = nil
                    case 7..<9:
                        var batch: [String: ConformanceValue] = [:]
                        for _ in 0..<3 { batch["k\(random.below(16))"] = ConformanceValue("m", random.below(4)) }
                        try await store.setMany(kind, batch)
                        model[kind, default: [:]].merge(batch) { $1 }
                    default:
                        if let held {
                            try expectEqual(await store.update(kind, key) { $0.n += 10 }, true,
                                                  "\(at)update \(kind)/\(key) (n += 10)")
                            model[kind]?[key] = ConformanceValue(held.name, held.n + 10)
                        } else {
                            try await expectError(StoreError.keyNotFound(kind: kind, key: key),
                                                  "\(at)update of missing \(kind)/\(key)") {
                                try await store.update(kind, key) { $0.n += 10 }
                            }
                        }
                    }
                }
                for kind in kinds + ["never-written"] {
                    try await expectReadersAgree(store, kind, model[kind] ?? [:], "round \(round), kind \(kind)")
                }
                let all = try await store.getAll().filter { !$0.value.isEmpty }
                try expectEqual(all, model.filter { !$0.value.isEmpty }, "round \(round): getAll (empty kinds ignored)")
            }
        }
    }

    /// Checks that every read of `kind` matches `expected`.
    private func expectReadersAgree(
        _ store: any Store<ConformanceValue>, _ kind: String, _ expected: [String: ConformanceValue], _ at: String
    ) async throws {
        try expectEqual(await store.list(kind), expected, "\(at): list")
        try expectEqual(await store.count(kind), expected.count, "\(at): count")
        let keys = try await store.keys(kind)
        try expectEqual(keys.sorted(), expected.keys.sorted(), "\(at): keys (sorted)")
        let values = try await store.values(kind)
        var fromValues: [String: ConformanceValue] = [:]
        for pair in values {
            try expect(fromValues.updateValue(pair.value, forKey: pair.key) == nil,
                       "\(at): values to hold each key once", saw: "\(pair.key) twice")
        }
        try expectEqual(fromValues, expected, "\(at): values")
        for (key, value) in expected {
            try expectEqual(await store.get(kind, key), value, "\(at): get \(key)")
        }
    }

    func listFilters() async throws {
        try await withStore { store in
            var all: [String: ConformanceValue] = [:]
            for i in 0..<10 {
                let value = ConformanceValue(i % 2 == 0 ? "even" : "odd", i)
                all["k\(i)"] = value
                try await store.set("items", "k\(i)", value)
            }
            try await store.set("other", "k1", ConformanceValue("even", 100))
            let evens = all.filter { $0.value.name == "even" }
            let bigEvens = evens.filter { $0.value.n >= 4 }

            try expectEqual(await store.list("items"), all, "list without filters")
            try expectEqual(await store.list("items", where: []), all, "list with an empty filter array")
            try expectEqual(await store.list("items", where: { _, value in value.name == "even" }), evens,
                                  "list with one filter (name == even)")
            try expectEqual(await store.list("items", where: [{ $1.name == "even" }, { $1.n >= 4 }]), bigEvens,
                                  "list with two filters in an array (every filter must hold)")
            try expectEqual(await store.list("items", where: { $1.name == "even" }, { $1.n >= 4 }), bigEvens,
                                  "list with two variadic filters")
            try expectEqual(await store.list("items", where: { key, _ in key == "k3" }), ["k3": all["k3"]!],
                                  "list filtered on the key")
            try expectEqual(await store.list("items", where: { _, _ in false }), [:], "list with a filter rejecting all")
            try expectEqual(await store.list("unknown", where: { _, _ in true }), [:], "filtered list of an unknown kind")

            var seen: [String] = []
            var mismatched: [String] = []
            let listed = try await store.list("items", where: { key, value in
                seen.append(key)
                if key != "k\(value.n)" { mismatched.append(key) }
                return true
            })
            try expectEqual(listed, all, "list with a filter capturing local state")
            try expect(mismatched.isEmpty, "filters to get each entry's own key and value",
                       saw: "mismatched keys \(mismatched)")
            try expect(Set(seen) == Set(all.keys), "the filter to see every key of the kind once or more",
                       saw: show(seen.sorted()))
        }
    }
}
