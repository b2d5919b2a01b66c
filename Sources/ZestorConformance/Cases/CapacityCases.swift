import Zestor

extension CaseContext {
    func capacityBound() async throws {
        let capacity = 8
        let bounded = try CacheOptions(capacity: capacity)
        try await withCachingStore(cachingOptions(ManualExpiryClock(), ["bounded": bounded])) { store in
            let inserted = capacity * 5
            let watch = try await store.watch("bounded", options: WatchOptions(bufferSize: 4096))
            for index in 0..<inserted {
                try await store.set("bounded", "k\(index)", ConformanceValue("v", index))
                let count = try await store.count("bounded")
                try expect(count <= capacity, "a kind bounded to \(capacity) to hold at most \(capacity) entries",
                           saw: "\(count) after inserting \(index + 1) keys")
            }
            let present = try await store.keys("bounded")
            for key in present {
                try await store.update("bounded", key) { $0.n += 1000 }
            }
            try expectEqual(Set(try await store.keys("bounded")), Set(present), "the keys after updating every present key")
            let count = present.count
            let evictions = inserted - count
            let events = try await next(inserted + evictions + count, from: watch, kind: "bounded",
                                        "the events of \(inserted) insertions and \(count) updates")
            watch.cancel()
            var creates = 0
            for (position, event) in events.enumerated() {
                switch event.type {
                case .create:
                    creates += 1
                case .delete:
                    try expectEqual(event.cause, .evicted, "the cause of a removal by an insertion")
                    let following = position + 1 < events.count ? events[position + 1] : nil
                    try expect(following?.type == .create && following?.key != event.key,
                               "each eviction to be followed at once by the insertion that made it",
                               saw: "\(Change(event)) followed by \(following.map { "\(Change($0))" } ?? "nothing")")
                case .update:
                    try expect(position >= inserted + evictions, "updates only after the insertions",
                               saw: "\(Change(event)) at position \(position)")
                }
            }
            try expectEqual(creates, inserted, "the number of creates")
            try expectEqual(events.filter { $0.type == .delete }.count, evictions, "the number of evictions")
            try expectEqual(await store.stats("bounded").evictions, evictions, "stats.evictions")
        }
    }

    func scanResistance() async throws {
        let bounded = try CacheOptions(capacity: 256)
        try await withCachingStore(cachingOptions(ManualExpiryClock(), ["hot": bounded])) { store in
            let hot = (0..<4).map { "hot-\($0)" }
            for key in hot {
                try await store.set("hot", key, ConformanceValue(key, 0))
                for _ in 0..<3 { _ = try await store.get("hot", key) }
            }
            // A scan of 20 times the capacity in new keys, the hot keys read every 512 of them:
            // twice as many insertions between two reads as any share holds (a store of 32 shards
            // or fewer), so recency alone (LRU) would lose them; frequency keeps them.
            for index in 0..<(20 * 256) {
                try await store.set("hot", "scan-\(index)", ConformanceValue("scan", index))
                if index % 512 == 511 {
                    for key in hot {
                        try expect(try await store.get("hot", key) != nil,
                                   "a key read again and again to survive a one-time scan",
                                   saw: "\(key) evicted after \(index + 1) scan keys")
                    }
                }
            }
        }
    }
}
