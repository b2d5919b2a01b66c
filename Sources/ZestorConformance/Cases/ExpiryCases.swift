import Zestor

extension CaseContext {
    func expiryHidesEntries() async throws {
        let clock = ManualExpiryClock()
        let sessions = try CacheOptions(timeToLive: .seconds(60))
        try await withCachingStore(cachingOptions(clock, ["sessions": sessions])) { store in
            let a = ConformanceValue("a", 1), b = ConformanceValue("b", 2), c = ConformanceValue("c", 3)
            try await store.set("sessions", "a", a)                                // kind default: 60 s
            try await store.set("sessions", "b", b, expiration: .after(.seconds(10)))
            try await store.set("sessions", "c", c, expiration: .never)
            try await store.set("plain", "p", a, expiration: .after(.seconds(10)))   // a kind without options
            try await store.set("plain", "q", b)

            clock.advance(by: .seconds(9))
            try expectEqual(await store.get("sessions", "b"), b, "an entry one second before it expires")
            try expectEqual(await store.count("sessions"), 3, "count before anything expired")

            clock.advance(by: .seconds(1))
            try expectEqual(await store.get("sessions", "b"), nil, "get of an entry at the instant it expires")
            try expectEqual(await store.get("plain", "p"), nil, "get of an expired entry in a kind without cache options")
            try expectEqual(await store.expiration("sessions", "b"), nil, "expiration of an expired entry")
            try expectEqual(await store.list("sessions"), ["a": a, "c": c], "list without the expired entry")
            try expectEqual(await store.count("sessions"), 2, "count without the expired entry")
            try expectEqual(Set(await store.keys("sessions")), ["a", "c"], "keys without the expired entry")
            try expectEqual(Set(await store.values("sessions").map(\.key)), ["a", "c"], "values without the expired entry")
            let all = try await store.getAll()
            try expectEqual(all["sessions"] ?? [:], ["a": a, "c": c], "getAll's sessions without the expired entry")
            try expectEqual(all["plain"] ?? [:], ["q": b], "getAll's plain kind without the expired entry")

            let replaying = try await store.watch("sessions", options: WatchOptions(initialReplay: true))
            let replayed = try await next(2, from: replaying, kind: "sessions", "the replay of a kind with an expired entry")
            replaying.cancel()
            try expectEqual(Set(replayed.map(\.key)), ["a", "c"], "the keys replayed (the expired one left out)")

            clock.advance(by: .seconds(50))
            try expectEqual(await store.get("sessions", "a"), nil, "an entry written with the kind's default time to live, after it")
            try expectEqual(await store.get("sessions", "c"), c, "an entry written with .never, long after")
            try expectEqual(await store.set("sessions", "b", b), .created, "set of an expired key")
            try expectEqual(await store.get("sessions", "b"), b, "the key written again")
        }
    }

    func expiryRemovalEvents() async throws {
        let clock = ManualExpiryClock()
        try await withCachingStore(cachingOptions(clock)) { store in
            let a = ConformanceValue("a", 1), b = ConformanceValue("b", 2), newer = ConformanceValue("a", 9)
            try await store.set("things", "a", ConformanceValue("a", 0), expiration: .after(.seconds(5)))
            try await store.set("things", "b", b, expiration: .after(.seconds(5)))
            let watch = try await store.watch("things", options: WatchOptions(bufferSize: 64))
            try await store.update("things", "a") { $0 = a }
            clock.advance(by: .seconds(5))
            try expectEqual(await store.set("things", "a", newer), .created, "set of a key expired but not swept")
            try expectEqual(await store.removeExpired(), 1, "removeExpired with one entry left expired")
            try expectEqual(await store.removeExpired(), 0, "removeExpired with nothing expired")
            try await store.delete("things", "a")
            let events = try await next(5, from: watch, kind: "things", "the events of an update, two expiries and a delete")
            watch.cancel()
            let seen = events.map { "\($0.type.rawValue) \($0.key)=\($0.value) \($0.cause)" }
            let expected = ["update a=\(a) write", "delete a=\(a) expired", "create a=\(newer) write",
                            "delete b=\(b) expired", "delete a=\(newer) write"]
            try expect(seen == expected, "the events \(expected)", saw: "\(seen)")
            try expectEqual(await store.delete("things", "b"), nil, "delete of a swept key")
        }
    }

    func expirationReplacedOrKept() async throws {
        let clock = ManualExpiryClock()
        let tokens = try CacheOptions(timeToLive: .seconds(100))
        try await withCachingStore(cachingOptions(clock, ["tokens": tokens])) { store in
            let v = ConformanceValue("v", 1)
            try await store.set("tokens", "k", v)
            try expectEqual(await store.expiration("tokens", "k"), .after(.seconds(100)), "the kind default after a set")
            try await store.set("tokens", "k", v, expiration: .after(.seconds(10)))
            try expectEqual(await store.expiration("tokens", "k"), .after(.seconds(10)),
                            "the expiration of an unchanged set that names one")
            clock.advance(by: .seconds(4))
            try await store.update("tokens", "k") { $0.n = 2 }
            try expectEqual(await store.expiration("tokens", "k"), .after(.seconds(6)), "the expiration kept by update")
            try await store.update("tokens", "k", expiration: .after(.seconds(30))) { $0.n = 3 }
            try expectEqual(await store.expiration("tokens", "k"), .after(.seconds(30)), "the expiration given to update")

            let watch = try await store.watch("tokens", options: WatchOptions(bufferSize: 64))
            let versionBefore = try await store.getVersionedIfAvailable("tokens", "k")
            try expectEqual(await store.setExpiration("tokens", "k", .never), true, "setExpiration of a live key")
            try expectEqual(await store.expiration("tokens", "k"), .never, "the expiration after setExpiration(.never)")
            try expectEqual(await store.setExpiration("tokens", "missing", .never), false, "setExpiration of a missing key")
            try expectEqual(await store.getVersionedIfAvailable("tokens", "k"), versionBefore, "the version after setExpiration")
            try await store.setMany("tokens", ["k": ConformanceValue("v", 3), "m": v], expiration: .after(.seconds(7)))
            try expectEqual(await store.expiration("tokens", "k"), .after(.seconds(7)), "the expiration given to setMany (unchanged key)")
            try expectEqual(await store.expiration("tokens", "m"), .after(.seconds(7)), "the expiration given to setMany (new key)")
            try await store.set("tokens", "k", ConformanceValue("v", 4), expiration: .never)
            let events = try await next(2, from: watch, kind: "tokens", "setExpiration (none), setMany and set")
            watch.cancel()
            try expectEqual(events.map(\.key), ["m", "k"], "the keys of the only events (setExpiration emits none)")
            clock.advance(by: .seconds(3600))
            try expectEqual(await store.get("tokens", "k"), ConformanceValue("v", 4), "an entry set to never expire")
            try expectEqual(await store.get("tokens", "m"), nil, "an entry given 7 s by setMany, an hour later")
        }
    }

    func cacheInputOutOfRange() async throws {
        for (what, make) in [("a zero time to live", { try CacheOptions(timeToLive: .zero) }),
                             ("a negative time to live", { try CacheOptions(timeToLive: .seconds(-1)) }),
                             ("a zero capacity", { try CacheOptions(capacity: 0) }),
                             ("a negative capacity", { try CacheOptions(capacity: -5) })] as [(String, () throws -> CacheOptions)] {
            do {
                let options = try make()
                throw fail("CacheOptions with \(what) to throw StoreError.outOfRange", saw: "\(options)")
            } catch let error as StoreError {
                guard case .outOfRange = error else {
                    throw fail("CacheOptions with \(what) to throw StoreError.outOfRange", saw: "\(error)")
                }
            }
        }
        let clock = ManualExpiryClock()
        try await withCachingStore(cachingOptions(clock)) { store in
            let v = ConformanceValue("v", 1)
            try await store.set("things", "kept", v, expiration: .after(.seconds(10)))
            for duration in [Duration.zero, .seconds(-3)] {
                let what = "Expiration.after(\(duration))"
                try await expectOutOfRange("set with \(what)") {
                    try await store.set("things", "new", v, expiration: .after(duration))
                }
                try await expectOutOfRange("setMany with \(what)") {
                    try await store.setMany("things", ["new": v, "kept": ConformanceValue("v", 2)], expiration: .after(duration))
                }
                try await expectOutOfRange("update with \(what)") {
                    try await store.update("things", "kept", expiration: .after(duration)) { $0.n = 5 }
                }
                try await expectOutOfRange("setExpiration with \(what)") {
                    try await store.setExpiration("things", "kept", .after(duration))
                }
            }
            try expectEqual(await store.list("things"), ["kept": v], "the kind after rejected writes")
            try expectEqual(await store.expiration("things", "kept"), .after(.seconds(10)), "the expiry after rejected writes")
        }
    }

    /// Throws unless `body` throws `StoreError.outOfRange`.
    func expectOutOfRange<T>(_ what: String, _ body: () async throws -> T) async throws {
        do {
            let value = try await body()
            throw fail("\(what) to throw StoreError.outOfRange", saw: "it returned \(describe(value))")
        } catch let error as StoreError {
            guard case .outOfRange = error else { throw fail("\(what) to throw StoreError.outOfRange", saw: "\(error)") }
        }
    }
}

extension Store where Value == ConformanceValue {
    /// The version of the entry, for stores that expose it (`MemoryStore`, `DurableStore`);
    /// nil otherwise or when absent.
    func getVersionedIfAvailable(_ kind: String, _ key: String) async throws -> UInt64? {
        if let memory = self as? MemoryStore<Value> { return try memory.getVersioned(kind, key)?.version }
        if let durable = self as? DurableStore<Value> { return try durable.getVersioned(kind, key)?.version }
        return nil
    }
}
