import Zestor

extension CaseContext {
    func watchOrdering() async throws {
        let kind = "ordering", marker = "~done"
        let keys = (0..<6).map { "k\($0)" }
        for round in 0..<rounds {
            try await withStore { store in
                let options = WatchOptions(bufferSize: 1 << 15)
                let watches = [try await store.watch(kind, options: options), try await store.watch(kind, options: options)]
                let readers = watches.enumerated().map { index, watch in
                    Task { try await self.drain(watch, kind: kind, "round \(round): ordering reader \(index)", until: { $0.key == marker }) }
                }
                try await timed("round \(round): two writers racing on the same keys") {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for writer in 0..<2 {
                            group.addTask { try await scribble(store, kind, keys, writer: writer, seed: round * 2 + writer) }
                        }
                        try await group.waitForAll()
                    }
                }
                try await store.set(kind, marker, ConformanceValue("done", round))
                let final = try await store.list(kind).filter { $0.key != marker }
                for (index, reader) in readers.enumerated() {
                    let what = "round \(round): ordering reader \(index)"
                    let drained = try await reader.value
                    guard case .stopped = drained.end else {
                        throw fail("\(what) to get every event up to the marker write", saw: "the stream \(drained.end)")
                    }
                    let replica = try reconstruct(drained.events.dropLast(), what)
                    try expect(replica == final, "\(what): applying the events in order to give the store's state \(show(final))",
                               saw: show(replica))
                }
                for watch in watches { watch.cancel() }
            }
        }
    }

    func replayPrecedesLive() async throws {
        let kind = "replay", marker = "~done"
        let seeded = (0..<64).map { "p\($0)" }
        for round in 0..<rounds {
            try await withStore { store in
                let what = "round \(round): a replaying watch subscribed under a writer"
                for (index, key) in seeded.enumerated() { try await store.set(kind, key, ConformanceValue("seed", index)) }
                let progress = Counter()
                let writer = Task { try await churn(store, kind, seeded, seed: round, progress: progress) }
                try await waitFor(progress, toReach: 40 + 7 * (round % 20), "round \(round): the writer to get going")
                let watch = try await store.watch(kind, options: WatchOptions(initialReplay: true, bufferSize: 1 << 15))
                try await timed("round \(round): the writer to finish") { try await writer.value }
                try await store.set(kind, marker, ConformanceValue("done", round))
                let drained = try await drain(watch, kind: kind, what, until: { $0.key == marker })
                watch.cancel()
                guard case .stopped = drained.end else {
                    throw fail("\(what) to get every event up to the marker write", saw: "the stream \(drained.end)")
                }
                // The writer only updates and deletes seeded keys: every .create is a replayed one.
                let events = Array(drained.events.dropLast())
                if let firstLive = events.firstIndex(where: { $0.type != .create }),
                   let lateCreate = events[firstLive...].firstIndex(where: { $0.type == .create }) {
                    throw fail("\(what): every replayed .create before every live event",
                               saw: "\(Change(events[lateCreate])) (event #\(lateCreate)) after \(Change(events[firstLive])) (event #\(firstLive))")
                }
                let final = try await store.list(kind).filter { $0.key != marker }
                let replica = try reconstruct(events[...], what)
                try expect(replica == final, "\(what): replay plus live events to give the store's state \(show(final))",
                           saw: show(replica))
            }
        }
    }

    func overflow() async throws {
        let kind = "overflow"
        for bufferSize in [1, 2, 5, 16, 64] {
            try await withStore { store in
                let what = "a watch with bufferSize \(bufferSize) not read during \(bufferSize * 2 + 3) writes"
                let watch = try await store.watch(kind, options: WatchOptions(bufferSize: bufferSize))
                let total = bufferSize * 2 + 3
                try await timed("\(total) writes while a watcher does not read (writers never wait for watchers)") {
                    for i in 0..<total { try await store.set(kind, "k\(i % 3)", ConformanceValue("w", i)) }
                }
                let drained = try await drain(watch, kind: kind, what)
                try expectOverflow(drained, kind: kind, what)
                try expectPrefix(drained.events, of: Array(0..<total), what)
                try await expectRewatchWorks(store, kind, what)
            }
        }
        for round in 0..<rounds {
            try await withStore { store in
                let what = "round \(round): a slow reader (bufferSize 4) behind a fast writer"
                let total = 400
                let watch = try await store.watch(kind, options: WatchOptions(bufferSize: 4))
                let reader = Task { try await self.drain(watch, kind: kind, what, slow: true, until: { $0.value.n == total - 1 }) }
                try await timed("round \(round): \(total) writes with a slow reader") {
                    for i in 0..<total { try await store.set(kind, "k\(i % 3)", ConformanceValue("w", i)) }
                }
                let drained = try await reader.value
                if case .stopped = drained.end {} else { try expectOverflow(drained, kind: kind, what) }
                try expectPrefix(drained.events, of: Array(0..<total), what)
            }
        }
    }

    func overflowWithFilter() async throws {
        let kind = "overflow"
        for bufferSize in [1, 4, 32] {
            try await withStore { store in
                let total = bufferSize * 2 + 3
                let deletes = try await store.watch(kind, options: WatchOptions(eventTypes: [.delete], bufferSize: bufferSize))
                let updates = try await store.watch(kind, options: WatchOptions(eventTypes: [.update], bufferSize: bufferSize))
                try await timed("\(total) writes while filtered watchers do not read") {
                    for i in 0..<total { try await store.set(kind, "k\(i % 3)", ConformanceValue("w", i)) }
                }
                let deletesWhat = "a .delete-only watch (bufferSize \(bufferSize)) not read during \(total) creates and updates"
                let deletesDrained = try await drain(deletes, kind: kind, deletesWhat)
                try expectOverflow(deletesDrained, kind: kind, deletesWhat)
                try expect(deletesDrained.events.isEmpty, "\(deletesWhat) to deliver no event", saw: show(deletesDrained.events.changes))

                let updatesWhat = "an .update-only watch (bufferSize \(bufferSize)) not read during \(total) writes"
                let updatesDrained = try await drain(updates, kind: kind, updatesWhat)
                try expectOverflow(updatesDrained, kind: kind, updatesWhat)
                try expect(updatesDrained.events.allSatisfy { $0.type == .update }, "\(updatesWhat) to deliver only updates",
                           saw: show(updatesDrained.events.changes))
                try expectPrefix(updatesDrained.events, of: Array(3..<total), updatesWhat)
            }
        }
    }

    func eventTypeFilter() async throws {
        let kind = "filtered"
        try await withStore { store in
            let subsets: [Set<EventType>?] = [nil, [.create], [.update], [.delete], [.create, .update],
                                              [.create, .delete], [.update, .delete], [.create, .update, .delete]]
            var watches: [Watch<ConformanceValue>] = []
            for types in subsets { watches.append(try await store.watch(kind, options: WatchOptions(eventTypes: types))) }
            let a1 = ConformanceValue("a", 1), a2 = ConformanceValue("a", 2), a3 = ConformanceValue("a", 3)
            let b1 = ConformanceValue("b", 1), b2 = ConformanceValue("b", 2)
            let c1 = ConformanceValue("c", 1), c2 = ConformanceValue("c", 2)
            try await store.set(kind, "a", a1)
            try await store.set(kind, "b", b1)
            try await store.set(kind, "a", a2)
            try await store.delete(kind, "a")
            try await store.set(kind, "c", c1)
            try await store.setMany(kind, ["b": b2, "c": c2])
            try await store.delete(kind, "b")
            try await store.set(kind, "a", a3)
            let script = [
                Change(.create, "a", a1), Change(.create, "b", b1), Change(.update, "a", a2), Change(.delete, "a", a2),
                Change(.create, "c", c1), Change(.update, "b", b2), Change(.update, "c", c2), Change(.delete, "b", b2),
                Change(.create, "a", a3),
            ]
            try await store.close()
            for (types, watch) in zip(subsets, watches) {
                let name = types.map { show($0.map(\.rawValue).sorted()) } ?? "all types"
                let what = "a watch of \(name)"
                let drained = try await drain(watch, kind: kind, what)
                try expect(drained.isFinished, "\(what) to end normally (nil) on close", saw: "the stream \(drained.end)")
                let expected = script.filter { types?.contains($0.type) ?? true }
                try expect(drained.events.changes == expected, "\(what) to deliver exactly \(show(expected))",
                           saw: show(drained.events.changes))
            }
        }
    }

    func sequenceIncreasing() async throws {
        let kind = "sequenced"
        let keys = (0..<8).map { "k\($0)" }
        for round in 0..<rounds {
            try await withStore { store in
                for key in keys.prefix(4) { try await store.set(kind, key, ConformanceValue("seed", round)) }
                let watches = [
                    ("a plain watch", try await store.watch(kind, options: WatchOptions(bufferSize: 1 << 15))),
                    ("a replaying watch", try await store.watch(kind, options: WatchOptions(initialReplay: true, bufferSize: 1 << 15))),
                    ("an update/delete watch", try await store.watch(kind, options: WatchOptions(eventTypes: [.update, .delete], bufferSize: 1 << 15))),
                ]
                let readers = watches.map { what, watch in
                    Task { try await self.drain(watch, kind: kind, "round \(round): \(what) under four writers") }
                }
                try await timed("round \(round): four concurrent writers") {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for writer in 0..<4 {
                            group.addTask { try await scribble(store, kind, keys, writer: writer, seed: round * 4 + writer, operations: 150) }
                        }
                        try await group.waitForAll()
                    }
                }
                try await store.close()
                for (reader, (what, _)) in zip(readers, watches) {
                    let drained = try await reader.value   // drain checks the sequence numbers
                    try expect(drained.isFinished, "round \(round): \(what) to end normally (nil) on close", saw: "the stream \(drained.end)")
                }
            }
        }
    }

    // MARK: Helpers

    /// Applies `events` to a fresh ``Replica``, failing on the first inconsistent event.
    private func reconstruct(_ events: ArraySlice<Event<ConformanceValue>>, _ what: String) throws -> [String: ConformanceValue] {
        var replica = Replica()
        for event in events {
            if let problem = replica.apply(event) {
                throw fail("\(what): events consistent with the order the writes were applied in", saw: problem)
            }
        }
        return replica.entries
    }

    /// Checks the stream threw exactly `StoreError.watchOverflow(kind:)`.
    private func expectOverflow(_ drained: Drained, kind: String, _ what: String) throws {
        if let error = drained.end.error as? StoreError, error == .watchOverflow(kind: kind) { return }
        throw fail("\(what) to throw StoreError.watchOverflow(kind: \"\(kind)\")",
                   saw: "the stream \(drained.end) after \(drained.events.count) events")
    }

    /// Checks the events' values carry `numbers` from the start, without a gap.
    private func expectPrefix(_ events: [Event<ConformanceValue>], of numbers: [Int], _ what: String) throws {
        let seen = events.map(\.value.n)
        try expect(Array(numbers.prefix(seen.count)) == seen,
                   "\(what): the events delivered to be a gap-free prefix of the writes \(show(numbers, limit: 8))",
                   saw: show(seen, limit: 20))
    }

    /// After an overflow the consumer re-lists and re-watches: a new watch gets new events.
    private func expectRewatchWorks(_ store: any Store<ConformanceValue>, _ kind: String, _ what: String) async throws {
        let value = ConformanceValue("after-overflow", 1)
        try await expectChanges(store, kind, [Change(.create, "fresh", value)], "a new watch after \(what) overflowed") {
            try await store.set(kind, "fresh", value)
        }
    }
}

/// One racing writer: a seeded mix of `set`, `update`, `delete` and `setMany` on `keys`.
private func scribble(
    _ store: any Store<ConformanceValue>, _ kind: String, _ keys: [String], writer: Int, seed: Int, operations: Int = 250
) async throws {
    var random = SplitMix64(seed: seed)
    let name = "w\(writer)"
    for step in 0..<operations {
        let key = keys[random.below(keys.count)]
        switch random.below(10) {
        case 0..<5:
            try await store.set(kind, key, ConformanceValue(name, random.below(8)))
        case 5..<7:
            do {
                try await store.update(kind, key) { $0.n += 100 }
            } catch StoreError.keyNotFound {}
        case 7:
            try await store.delete(kind, key)
        default:
            let other = keys[random.below(keys.count)]
            var batch = [key: ConformanceValue(name, random.below(8))]
            batch[other] = ConformanceValue(name, random.below(8))
            try await store.setMany(kind, batch)
        }
        if step % 16 == 15 { await Task.yield() }
    }
}

/// The writer of `replayPrecedesLive`: only updates and deletes of the seeded keys (a deleted
/// key is never written again), so every `.create` a watcher sees is a replayed one.
private func churn(
    _ store: any Store<ConformanceValue>, _ kind: String, _ seeded: [String], seed: Int, progress: Counter
) async throws {
    var random = SplitMix64(seed: seed)
    var deleted: Set<String> = []
    for step in 0..<1500 {
        defer { progress.increment() }
        let key = seeded[random.below(seeded.count)]
        if deleted.contains(key) { continue }
        if random.below(10) == 0 && deleted.count < seeded.count / 2 {
            try await store.delete(kind, key)
            deleted.insert(key)
        } else {
            try await store.set(kind, key, ConformanceValue("live", step))
        }
        if step % 8 == 7 { await Task.yield() }
    }
}
