import Zestor

extension CaseContext {
    /// ``withStore(_:_:)`` for a store that must be an `IndexedStore`.
    func withIndexedStore<T>(
        _ options: StoreOptions<ConformanceValue> = .init(),
        _ body: (any IndexedStore<ConformanceValue>) async throws -> T
    ) async throws -> T {
        try await withStore(options, as: (any IndexedStore<ConformanceValue>).self, body)
    }

    func indexQueries() async throws {
        try await withIndexedStore { store in
            // n is the indexed field; name the second component of the composite index.
            for i in 0..<30 { try await store.set("things", "k\(i)", ConformanceValue(i % 2 == 0 ? "even" : "odd", i % 10)) }
            try await store.set("other", "k1", ConformanceValue("odd", 1))
            let byN = try await store.createIndex("things", "n", unique: false) { $0.n }
            let byNameN = try await store.createIndex("things", "name_n", unique: false) { IndexKey2($0.name, $0.n) }
            let small = try await store.createIndex("things", "small", unique: false) { $0.n < 3 ? $0.n : nil }
            try expectEqual(try await store.indexes("things").map(\.name), ["n", "name_n", "small"], "the indexes of the kind")
            try expectEqual(try await store.indexes("things").map(\.entryCount), [30, 30, 9], "the entries in each index")
            try expectEqual(try await store.indexes("other"), [], "the indexes of a kind without any")

            try expectEqual(keys(try await store.lookup(byN, equals: 3)), ["k13", "k23", "k3"], "lookup of n == 3, in key order")
            try expectEqual(try await store.lookup(byN, equals: 42), [], "lookup of a key no entry has")
            try expectEqual(keys(try await store.range(byN, 8..<10, limit: nil, reverse: false)),
                            ["k18", "k28", "k8", "k19", "k29", "k9"], "range 8..<10, by (n, key)")
            try expectEqual(keys(try await store.range(byN, 8...9, limit: nil, reverse: true)),
                            ["k9", "k29", "k19", "k8", "k28", "k18"], "range 8...9 reversed")
            try expectEqual(keys(try await store.range(byN, ..<1, limit: nil, reverse: false)), ["k0", "k10", "k20"], "range ..<1")
            try expectEqual(keys(try await store.range(byN, ...1, limit: 4, reverse: false)), ["k0", "k10", "k20", "k1"],
                            "range ...1 limited to 4")
            try expectEqual(keys(try await store.range(byN, 9..., limit: 2, reverse: true)), ["k9", "k29"],
                            "range 9... reversed, limited to 2")
            try expectEqual(try await store.range(byN, 5..<5, limit: nil, reverse: false).count, 0, "an empty range")
            try expectEqual(try await store.range(byN, IndexBounds.all, limit: 0, reverse: false).count, 0, "limit 0")
            try expectEqual(keys(try await store.range(byNameN, IndexBounds.prefix("odd"), limit: 3, reverse: false)),
                            ["k1", "k11", "k21"], "the composite prefix \"odd\", ordered by n then key")
            try expectEqual(keys(try await store.range(byNameN, IndexKey2("even", 4)...IndexKey2("odd", 1), limit: nil, reverse: false)),
                            ["k14", "k24", "k4", "k16", "k26", "k6", "k18", "k28", "k8", "k1", "k11", "k21"],
                            "a composite range across the first component")
            try expectEqual(try await store.count(byN, 0...4), 15, "count of 0...4")
            try expectEqual(try await store.count(byNameN, IndexBounds.prefix("even")), 15, "count of a composite prefix")
            try expectEqual(try await store.count(small, IndexBounds.all), 9, "count of a partial index")

            // Every write path keeps the index.
            try await store.set("things", "k3", ConformanceValue("odd", 9))
            try await store.update("things", "k13") { $0.n = 0 }
            try await store.setMany("things", ["k23": ConformanceValue("odd", 2), "new": ConformanceValue("odd", 3)])
            try await store.delete("things", "k0")
            try expectEqual(keys(try await store.lookup(byN, equals: 3)), ["new"], "n == 3 after set, update, setMany")
            try expectEqual(keys(try await store.lookup(byN, equals: 0)), ["k10", "k13", "k20"], "n == 0 after a delete and an update")
            try expectEqual(keys(try await store.range(small, IndexBounds.all, limit: nil, reverse: false)),
                            ["k10", "k13", "k20", "k1", "k11", "k21", "k12", "k2", "k22", "k23"],
                            "a partial index after writes moved entries into and out of it")
            if let versioned = store as? any VersionedStore<ConformanceValue> {
                let version = try await versioned.getVersioned("things", "new")?.version
                try await versioned.compareAndSet("things", "new", ConformanceValue("odd", 4), expectedVersion: version)
                try expectEqual(try await store.lookup(byN, equals: 3), [], "n == 3 after a compare-and-set moved it")
            }

            // Names, handles and bounds.
            try await expectError(StoreError.indexExists(kind: "things", index: "n"), "createIndex of a taken name") {
                try await store.createIndex("things", "n", unique: false) { $0.name }
            }
            try await store.dropIndex("things", "small")
            try await expectError(StoreError.indexNotFound(kind: "things", index: "small"), "a query with a dropped index's handle") {
                try await store.count(small, IndexBounds.all)
            }
            try await expectError(StoreError.indexNotFound(kind: "things", index: "small"), "dropIndex of a dropped index") {
                try await store.dropIndex("things", "small")
            }
            _ = try await store.createIndex("things", "small", unique: false) { $0.n }
            try await expectError(StoreError.indexNotFound(kind: "things", index: "small"),
                                  "a query with the handle of an index dropped and created again") {
                try await store.lookup(small, equals: 1)
            }
            try await expectError(StoreError.outOfRange(parameter: "limit", value: "-1", requirement: "at least 0"), "a negative limit") {
                try await store.range(byN, IndexBounds.all, limit: -1, reverse: false)
            }
            try await expectError(StoreError.kindRequired, "createIndex with an empty kind") {
                try await store.createIndex("", "n", unique: false) { $0.n }
            }
        }
        try await indexesLeaveOutExpiredEntries()
    }

    /// Queries leave out entries that have expired, swept or not (stores that are `CachingStore`s).
    private func indexesLeaveOutExpiredEntries() async throws {
        let clock = ManualExpiryClock()
        try await withIndexedStore(cachingOptions(clock)) { store in
            guard let caching = store as? any CachingStore<ConformanceValue> else { return }
            let byN = try await store.createIndex("sessions", "n", unique: true) { $0.n }
            try await caching.set("sessions", "a", ConformanceValue("a", 1), expiration: .after(.seconds(5)))
            try await caching.set("sessions", "b", ConformanceValue("b", 2))
            clock.advance(by: .seconds(5))
            try expectEqual(try await store.lookup(byN, equals: 1), [], "lookup of an expired entry")
            try expectEqual(try await store.count(byN, IndexBounds.all), 1, "count without the expired entry")
            try expectEqual(keys(try await store.range(byN, IndexBounds.all, limit: nil, reverse: false)), ["b"],
                            "range without the expired entry")
            try await caching.set("sessions", "c", ConformanceValue("c", 1))
            try expectEqual(keys(try await store.lookup(byN, equals: 1)), ["c"],
                            "an expired entry's unique key taken by another entry")
        }
    }

    func uniqueIndexes() async throws {
        try await withIndexedStore { store in
            try await store.setMany("users", ["a": ConformanceValue("ada", 1), "b": ConformanceValue("bob", 2),
                                              "c": ConformanceValue("cy", 3)])
            let byName = try await store.createIndex("users", "name", unique: true) { $0.name }
            try expectEqual(try await store.indexes("users").map(\.isUnique), [true], "the index reported unique")
            let violation = StoreError.uniqueIndexViolation(kind: "users", index: "name", key: "d", conflictingKey: "a",
                                                            indexKey: "ada")
            try await expectChanges(store, "users", [Change(.create, "d", ConformanceValue("dee", 4))],
                                    "writes rejected by a unique index, then one that is not") {
                try await expectError(violation, "set of a new key with a taken unique key") {
                    try await store.set("users", "d", ConformanceValue("ada", 4))
                }
                try await expectError(StoreError.uniqueIndexViolation(kind: "users", index: "name", key: "b",
                                                                      conflictingKey: "c", indexKey: "cy"),
                                      "update to a taken unique key") {
                    try await store.update("users", "b") { $0.name = "cy" }
                }
                try await expectError(StoreError.uniqueIndexViolation(kind: "users", index: "name", key: "e",
                                                                      conflictingKey: "a", indexKey: "ada"),
                                      "setMany with one taken unique key") {
                    try await store.setMany("users", ["d": ConformanceValue("dee", 4), "e": ConformanceValue("ada", 5)])
                }
                try await expectError(StoreError.uniqueIndexViolation(kind: "users", index: "name", key: "f",
                                                                      conflictingKey: "e", indexKey: "fay"),
                                      "setMany giving two keys one unique key") {
                    try await store.setMany("users", ["e": ConformanceValue("fay", 5), "f": ConformanceValue("fay", 6)])
                }
                try await store.set("users", "d", ConformanceValue("dee", 4))
            }
            try expectEqual(try await store.get("users", "e"), nil, "a key of a rejected setMany")
            // Keys swap their unique values in one setMany; a deleted entry frees its value.
            try await store.setMany("users", ["a": ConformanceValue("bob", 1), "b": ConformanceValue("ada", 2)])
            try expectEqual(keys(try await store.lookup(byName, equals: "ada")), ["b"], "a unique value after a swap")
            try await store.delete("users", "c")
            try await store.set("users", "e", ConformanceValue("cy", 5))
            try expectEqual(keys(try await store.lookup(byName, equals: "cy")), ["e"], "a unique value freed by a delete")
            try await store.set("users", "e", ConformanceValue("cy", 6))  // its own value: no conflict
            if let versioned = store as? any VersionedStore<ConformanceValue> {
                try await expectError(StoreError.uniqueIndexViolation(kind: "users", index: "name", key: "z",
                                                                      conflictingKey: "e", indexKey: "cy"),
                                      "compareAndSet to a taken unique key") {
                    try await versioned.compareAndSet("users", "z", ConformanceValue("cy", 1), expectedVersion: nil)
                }
            }
            try expectEqual(try await store.count(byName, IndexBounds.all), 4, "the entries of the unique index")

            try await store.set("dupes", "x", ConformanceValue("same", 1))
            try await store.set("dupes", "y", ConformanceValue("same", 2))
            do {
                try await store.createIndex("dupes", "name", unique: true) { $0.name }
                throw fail("createIndex of a unique index over duplicates to throw", saw: "it returned")
            } catch StoreError.uniqueIndexViolation(let kind, let index, _, _, let indexKey) {
                try expectEqual([kind, index, indexKey], ["dupes", "name", "same"], "the violation createIndex reports")
            }
            try expectEqual(try await store.indexes("dupes"), [], "the indexes after a failed createIndex")
        }
    }

    func indexesMatchModel() async throws {
        try await withIndexedStore { store in
            var random = SplitMix64(seed: 1_234)
            var model: [String: ConformanceValue] = [:]
            let names = ["ann", "bo", "cy", "di", "ed", "flo"]
            func value() -> ConformanceValue {
                ConformanceValue(names[Int(random.next() % UInt64(names.count))], Int(random.next() % 12))
            }
            func key() -> String { "k\(random.next() % 40)" }
            var byN = try await store.createIndex("m", "n", unique: false) { $0.n }
            let byNameN = try await store.createIndex("m", "name_n", unique: false) { IndexKey2($0.name, $0.n) }
            let even = try await store.createIndex("m", "even", unique: false) { $0.n % 2 == 0 ? $0.n : nil }
            let versioned = store as? any VersionedStore<ConformanceValue>
            let steps = 1_000
            for step in 0..<steps {
                // A synchronous store never suspends in this loop: let the other cases running
                // alongside (racy ones with deadlines) have the pool's threads between steps.
                await Task.yield()
                let what = "step \(step)"
                switch random.next() % 9 {
                case 0, 1, 2:
                    let (k, v) = (key(), value())
                    try await store.set("m", k, v)
                    model[k] = v
                case 3:
                    let k = key()
                    if model[k] == nil {
                        try await expectError(StoreError.keyNotFound(kind: "m", key: k), "\(what): update of a missing key") {
                            try await store.update("m", k) { $0.n += 1 }
                        }
                    } else {
                        try await store.update("m", k) { $0.n = ($0.n + 1) % 12 }
                        model[k]!.n = (model[k]!.n + 1) % 12
                    }
                case 4:
                    var batch: [String: ConformanceValue] = [:]
                    for _ in 0..<(1 + random.next() % 5) { batch[key()] = value() }
                    try await store.setMany("m", batch)
                    model.merge(batch) { $1 }
                case 5, 6:
                    let k = key()
                    try await store.delete("m", k)
                    model[k] = nil
                case 7:
                    guard let versioned else { continue }
                    let k = key(), v = value()
                    let current = try await versioned.getVersioned("m", k)
                    try await versioned.compareAndSet("m", k, v, expectedVersion: current?.version)
                    model[k] = v
                default:
                    try await store.dropIndex("m", "n")
                    byN = try await store.createIndex("m", "n", unique: false) { $0.n }
                }
                // Every query against brute force over the model.
                func expected<K: Comparable>(_ indexKey: (ConformanceValue) -> K?, _ test: (K) -> Bool,
                                            reverse: Bool = false) -> [String] {
                    var matches: [(key: K, entry: String)] = []
                    for (entry, value) in model {
                        if let indexed = indexKey(value), test(indexed) { matches.append((indexed, entry)) }
                    }
                    matches.sort { left, right in
                        left.key < right.key || (left.key == right.key && left.entry < right.entry)
                    }
                    let sorted = matches.map(\.entry)
                    return reverse ? sorted.reversed() : sorted
                }
                let n = Int(random.next() % 12), m = Int(random.next() % 12)
                let (low, high) = (min(n, m), max(n, m))
                let name = names[Int(random.next() % UInt64(names.count))]
                try expectEqual(keys(try await store.lookup(byN, equals: n)), expected({ $0.n }, { $0 == n }),
                                "\(what): lookup n == \(n)")
                try expectEqual(keys(try await store.range(byN, low..<high, limit: nil, reverse: false)),
                                expected({ $0.n }, { $0 >= low && $0 < high }), "\(what): range \(low)..<\(high)")
                try expectEqual(keys(try await store.range(byN, low...high, limit: nil, reverse: true)),
                                expected({ $0.n }, { $0 >= low && $0 <= high }, reverse: true), "\(what): range \(low)...\(high) reversed")
                try expectEqual(keys(try await store.range(byN, ..<n, limit: 5, reverse: false)),
                                Array(expected({ $0.n }, { $0 < n }).prefix(5)), "\(what): range ..<\(n) limited to 5")
                try expectEqual(keys(try await store.range(byN, ...n, limit: nil, reverse: true)),
                                expected({ $0.n }, { $0 <= n }, reverse: true), "\(what): range ...\(n) reversed")
                try expectEqual(keys(try await store.range(byN, n..., limit: 3, reverse: true)),
                                Array(expected({ $0.n }, { $0 >= n }, reverse: true).prefix(3)), "\(what): range \(n)... reversed, limit 3")
                try expectEqual(keys(try await store.range(byNameN, IndexBounds.prefix(name), limit: nil, reverse: false)),
                                expected({ IndexKey2($0.name, $0.n) }, { $0.first == name }), "\(what): prefix \(name)")
                try expectEqual(keys(try await store.lookup(byNameN, equals: IndexKey2(name, n))),
                                expected({ IndexKey2($0.name, $0.n) }, { $0 == IndexKey2(name, n) }), "\(what): lookup (\(name), \(n))")
                try expectEqual(keys(try await store.range(even, IndexBounds.all, limit: nil, reverse: false)),
                                expected({ $0.n % 2 == 0 ? $0.n : nil }, { _ in true }), "\(what): the partial index")
                try expectEqual(try await store.count(byN, low...high), expected({ $0.n }, { $0 >= low && $0 <= high }).count,
                                "\(what): count \(low)...\(high)")
                try expectEqual(try await store.count(byNameN, IndexBounds.prefix(name)),
                                expected({ IndexKey2($0.name, $0.n) }, { $0.first == name }).count, "\(what): count prefix \(name)")
            }
            try expectEqual(try await store.list("m"), model, "the kind after the random operations")
        }
    }

    func indexQueriesConsistentUnderWrites() async throws {
        try await withIndexedStore { store in
            let keys = (0..<32).map { "k\($0)" }
            try await store.setMany("things", Dictionary(uniqueKeysWithValues: keys.map { ($0, ConformanceValue("v", 0)) }))
            let byN = try await store.createIndex("things", "n", unique: false) { $0.n }
            for round in 0..<min(rounds, 5) {  // each round keeps a writer busy: a few suffice
                let stop = Flag()
                let writer = Task {
                    var n = round * 1_000_000  // generations only grow, across rounds too
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
                    let all = try await store.range(byN, IndexBounds.all, limit: nil, reverse: false)
                    let generations = Set(all.map(\.value.n))
                    try expect(all.count == keys.count && generations.count == 1,
                               "every range query while setMany rewrites all \(keys.count) keys to see one generation of them",
                               saw: "\(all.count) entries of generations \(generations.sorted())")
                    if let generation = generations.first {
                        // Values only grow: every key is at this generation or a later one.
                        let found = try await store.count(byN, generation...)
                        try expect(found == keys.count, "a count of the generation seen or later to find every key",
                                   saw: "\(found)")
                        let exact = try await store.lookup(byN, equals: generation)
                        try expect(exact.isEmpty || exact.count == keys.count,
                                   "a lookup while setMany rewrites every key to find all of them or none",
                                   saw: "\(exact.count) entries")
                    }
                    await Task.yield()
                }
                stop.raise()
                try await timed("the writer to stop") { try await writer.value }
            }
        }
    }

    /// The keys of query results, in order.
    func keys(_ entries: [KeyValue<ConformanceValue>]) -> [String] { entries.map(\.key) }
}
