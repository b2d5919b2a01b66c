import Zestor

/// The error the loading cases' loads throw.
struct LoadFailed: Error, Equatable {
    let key: String
}

extension CaseContext {
    func loadOnce() async throws {
        let clock = ManualExpiryClock()
        let users = try CacheOptions(timeToLive: .seconds(30))
        try await withCachingStore(cachingOptions(clock, ["users": users])) { store in
            let loads = Counter(), gate = Gate()
            let load: @Sendable (String) async throws -> ConformanceValue? = { key in
                loads.increment()
                await gate.wait()
                return ConformanceValue(key, 1)
            }
            let waiters = (0..<16).map { _ in
                Task { try await store.get("users", "u1", orLoad: load) }
            }
            try await waitFor(loads, toReach: 1, "the first load to start")
            try await settle()
            gate.open()
            for waiter in waiters {
                try expectEqual(try await timed("a waiter of a load") { try await waiter.value }, Optional(ConformanceValue("u1", 1)),
                                "what each of 16 callers of get(orLoad:) got")
            }
            try expectEqual(loads.value, 1, "the number of loads run for 16 simultaneous misses of one key")
            try expectEqual(await store.get("users", "u1"), ConformanceValue("u1", 1), "the loaded value, stored")
            try expectEqual(await store.expiration("users", "u1"), .after(.seconds(30)), "the loaded entry's expiry (the kind's)")
            try expectEqual(await store.get("users", "u1", orLoad: load), ConformanceValue("u1", 1), "get(orLoad:) of a stored key")
            try expectEqual(loads.value, 1, "the number of loads after a hit")
            clock.advance(by: .seconds(30))
            try expectEqual(await store.get("users", "u1", orLoad: load), ConformanceValue("u1", 1), "get(orLoad:) of an expired key")
            try expectEqual(loads.value, 2, "the number of loads after the entry expired")
        }
    }

    func loadFailureAndNil() async throws {
        try await withCachingStore(cachingOptions(ManualExpiryClock())) { store in
            let loads = Counter(), gate = Gate()
            let failing: @Sendable (String) async throws -> ConformanceValue? = { key in
                loads.increment()
                await gate.wait()
                throw LoadFailed(key: key)
            }
            let waiters = (0..<8).map { _ in
                Task { () -> Result<ConformanceValue?, any Error> in
                    do { return .success(try await store.get("users", "u1", orLoad: failing)) } catch { return .failure(error) }
                }
            }
            try await waitFor(loads, toReach: 1, "the failing load to start")
            try await settle()
            gate.open()
            for waiter in waiters {
                let outcome = try await timed("a waiter of a failing load") { await waiter.value }
                guard case .failure(let error as LoadFailed) = outcome, error == LoadFailed(key: "u1") else {
                    throw fail("every waiter of a failing load to get its error LoadFailed(u1)", saw: "\(outcome)")
                }
            }
            try expectEqual(loads.value, 1, "the number of loads run for 8 simultaneous misses")
            try expectEqual(await store.get("users", "u1"), nil, "the key after a failed load")
            try expectEqual(await store.count("users"), 0, "the kind after a failed load")
            try expectEqual(await store.get("users", "u1", orLoad: { _ in nil }), nil, "get(orLoad:) whose load finds nothing")
            try expectEqual(await store.count("users"), 0, "the kind after a load that found nothing")
            try expectEqual(await store.get("users", "u1", orLoad: { ConformanceValue($0, 7) }), ConformanceValue("u1", 7),
                            "get(orLoad:) after a failed load")
            try expectEqual(await store.get("users", "u1"), ConformanceValue("u1", 7), "the value of the load after a failure")
        }
    }

    func writeWinsOverLoad() async throws {
        try await withCachingStore(cachingOptions(ManualExpiryClock())) { store in
            let loads = Counter(), gate = Gate()
            let waiter = Task {
                try await store.get("users", "u1", orLoad: { key in
                    loads.increment()
                    await gate.wait()
                    return ConformanceValue("loaded", 1)
                })
            }
            try await waitFor(loads, toReach: 1, "the load to start")
            try await store.set("users", "u1", ConformanceValue("written", 2))
            gate.open()
            try expectEqual(try await timed("the waiter") { try await waiter.value }, Optional(ConformanceValue("loaded", 1)),
                            "what the waiter of a load overtaken by a write got")
            try expectEqual(await store.get("users", "u1"), ConformanceValue("written", 2),
                            "the key written while its load ran (the write wins)")
            let unopposed = Task {
                try await store.get("users", "u2", orLoad: { _ in ConformanceValue("loaded", 3) })
            }
            _ = try await timed("a load no write overtakes") { try await unopposed.value }
            try expectEqual(await store.get("users", "u2"), ConformanceValue("loaded", 3), "a load no write overtook, stored")
        }
    }

    func loadWaiterCancellation() async throws {
        try await withCachingStore(cachingOptions(ManualExpiryClock())) { store in
            let loads = Counter(), gate = Gate()
            let load: @Sendable (String) async throws -> ConformanceValue? = { key in
                loads.increment()
                await gate.wait()
                try Task.checkCancellation()
                return ConformanceValue(key, 1)
            }
            let cancelled = Task { try await store.get("users", "u1", orLoad: load) }
            try await waitFor(loads, toReach: 1, "the load to start")
            let patient = Task { try await store.get("users", "u1", orLoad: load) }
            try await settle()
            cancelled.cancel()
            let outcome = try await timed("the cancelled waiter to return before the load finished") {
                await cancelled.result
            }
            guard case .failure(let error) = outcome, error is CancellationError else {
                throw fail("a cancelled waiter to throw CancellationError", saw: "\(outcome)")
            }
            gate.open()
            try expectEqual(try await timed("the other waiter") { try await patient.value }, Optional(ConformanceValue("u1", 1)),
                            "what the waiter that was not cancelled got")
            try expectEqual(loads.value, 1, "the number of loads")
            try expectEqual(await store.get("users", "u1"), ConformanceValue("u1", 1), "the loaded value, stored")
        }
    }

    func cacheStatistics() async throws {
        let clock = ManualExpiryClock()
        let caches = ["users": try CacheOptions(timeToLive: .seconds(60)), "bounded": try CacheOptions(capacity: 2)]
        try await withCachingStore(cachingOptions(clock, caches)) { store in
            _ = try await store.get("users", "absent")
            try await store.set("users", "a", ConformanceValue("a", 1))
            _ = try await store.get("users", "a")
            _ = try await store.get("users", "a")
            _ = try await store.get("users", "b", orLoad: { ConformanceValue($0, 2) })
            _ = try? await store.get("users", "c", orLoad: { throw LoadFailed(key: $0) })
            try await store.set("users", "x", ConformanceValue("x", 0), expiration: .after(.seconds(1)))
            clock.advance(by: .seconds(1))
            _ = try await store.removeExpired()
            for index in 0..<10 { try await store.set("bounded", "k\(index)", ConformanceValue("k", index)) }
            let users = try await store.stats("users")
            try expectEqual(users.hits, 2, "stats.hits")
            try expectEqual(users.misses, 3, "stats.misses (an absent key, and two get(orLoad:) misses)")
            try expectEqual(users.loads, 1, "stats.loads")
            try expectEqual(users.loadFailures, 1, "stats.loadFailures")
            try expect(users.loadTime > .zero, "stats.loadTime above zero after two loads", saw: "\(users.loadTime)")
            try expectEqual(users.expirations, 1, "stats.expirations")
            try expectEqual(users.evictions, 0, "stats.evictions of an unbounded kind")
            let count = try await store.count("bounded")
            try expectEqual(await store.stats("bounded").evictions, 10 - count, "stats.evictions of a bounded kind")
        }
    }

    func negativeCaching() async throws {
        let clock = ManualExpiryClock()
        let users = try CacheOptions(negativeTimeToLive: .seconds(10))
        try await withCachingStore(cachingOptions(clock, ["users": users])) { store in
            let loads = Counter()
            let findsNothing: @Sendable (String) async throws -> ConformanceValue? = { _ in
                loads.increment()
                return nil
            }
            try expectEqual(await store.get("users", "ghost", orLoad: findsNothing), nil, "a load that finds nothing")
            try expectEqual(await store.get("users", "ghost", orLoad: findsNothing), nil, "the same key again")
            try expectEqual(loads.value, 1, "the loads within the negative time to live")
            clock.advance(by: .seconds(10))
            try expectEqual(await store.get("users", "ghost", orLoad: findsNothing), nil, "the key once it ran out")
            try expectEqual(loads.value, 2, "the loads after the negative time to live ran out")
            try await store.set("users", "ghost", ConformanceValue("real", 1))
            try await store.delete("users", "ghost")
            try expectEqual(await store.get("users", "ghost", orLoad: findsNothing), nil, "the key after a write and a delete")
            try expectEqual(loads.value, 3, "the loads after a write of the key (which forgets the answer)")
            try expectEqual(await store.count("users"), 0, "a kind that only remembers absent keys")
        }
    }
}
