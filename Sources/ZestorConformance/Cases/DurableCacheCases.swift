import Zestor

extension DurabilityContext {
    /// Options with `caches`, the manual `clock` the case drives, and a sweeper that never runs
    /// on its own during a case (the case sweeps with `removeExpired`).
    private func cachingOptions(_ clock: ManualExpiryClock,
                                _ caches: [String: CacheOptions] = [:]) throws -> StoreOptions<ConformanceValue> {
        StoreOptions(caches: caches, clock: clock, sweep: try SweepOptions(interval: .seconds(3600)))
    }

    /// Throws unless `expiration` is `.after` a duration in `(expected - 1 ms, expected]`: stored
    /// instants keep milliseconds, rounded down.
    private func expectLeft(_ expiration: Expiration?, _ expected: Duration, _ what: String) throws {
        guard case .after(let left)? = expiration, left <= expected, left > expected - .milliseconds(1) else {
            throw fail("\(what): .after(\(expected)) to the millisecond", saw: "\(String(describing: expiration))")
        }
    }

    func expiryRoundTrip() async throws {
        let clock = ManualExpiryClock()
        let sessions = try CacheOptions(timeToLive: .seconds(60))
        let options = try cachingOptions(clock, ["sessions": sessions])
        let v = ConformanceValue("v", 1)
        try await withStorage { storage in
            try await withStore(on: storage, mode.writeMode(), "the first store", options: options) { store in
                try await store.set("sessions", "a", v)                                   // the kind's 60 s
                try await store.set("sessions", "b", v, expiration: .after(.seconds(10)))
                try await store.set("sessions", "c", v, expiration: .never)
                try await store.set("sessions", "d", v, expiration: .after(.seconds(30)))
                try await store.setExpiration("sessions", "d", .after(.seconds(100)))
                try await store.set("plain", "p", v)
                clock.advance(by: .seconds(5))
                try await store.update("sessions", "a") { $0.n = 2 }                      // keeps its expiry
            }
            clock.advance(by: .seconds(15))  // 20 s: b expired while no store was open
            try await withStore(on: storage, mode.writeMode(), "a store reopened 15 s later", options: options) { store in
                try expectEqual(try store.get("sessions", "b"), nil, "an entry that expired while the store was closed")
                try expectEqual(Set(try store.keys("sessions")), ["a", "c", "d"], "the keys loaded")
                try expectEqual(try store.getVersioned("sessions", "a"), Versioned(value: ConformanceValue("v", 2), version: 2),
                                "the entry updated before the close")
                try expectLeft(try store.expiration("sessions", "a"), .seconds(40), "the time left to an entry updated without an expiration")
                try expectEqual(try store.expiration("sessions", "c"), .never, "the expiration of an entry written with .never")
                try expectLeft(try store.expiration("sessions", "d"), .seconds(80), "the time left after setExpiration")
                try expectEqual(try store.expiration("plain", "p"), .never, "the expiration of a plain kind's entry")
                clock.advance(by: .seconds(40))  // 60 s: a expires
                try expectEqual(try store.get("sessions", "a"), nil, "an entry at its reloaded instant")
                try expectEqual(try store.removeExpired(), 1, "removeExpired once the reloaded entry expired")
                try await store.flush()
            }
            // A fresh clock has reached none of the instants: only deleted rows stay away.
            let fresh = try cachingOptions(ManualExpiryClock())
            try await withStore(on: storage, mode.writeMode(), "a store whose clock reached no instant", options: fresh) { store in
                try expectEqual(Set(try store.keys("sessions")), ["c", "d"],
                                "the keys still stored (the expired ones deleted from the storage)")
                try expectEqual(try store.get("plain", "p"), v, "the plain kind's entry")
            }
        }
    }

    func evictionsPersisted() async throws {
        let bounded = try CacheOptions(capacity: 3)
        let options = try cachingOptions(ManualExpiryClock(), ["bounded": bounded])
        try await withStorage { storage in
            let held = try await withStore(on: storage, mode.writeMode(), "a store with a bound of 3", options: options) { store in
                for index in 0..<12 { try await store.set("bounded", "k\(index)", ConformanceValue("k", index)) }
                try await store.update("bounded", try store.keys("bounded").sorted()[0]) { $0.n += 100 }
                let contents = try contents(of: store)
                try expect((contents["bounded"]?.count ?? 0) <= 3, "the bounded kind to hold at most 3 entries",
                           saw: "\(contents["bounded"]?.count ?? 0)")
                return contents
            }
            try await withStore(on: storage, mode.writeMode(), "a store without a bound") { store in
                try expectContents(try contents(of: store), held, "what a store without a bound loads")
            }
        }
    }
}
