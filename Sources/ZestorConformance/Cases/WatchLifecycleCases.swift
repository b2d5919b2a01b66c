import Zestor

extension CaseContext {
    func closeEndsWatch() async throws {
        let kind = "things"
        try await withStore { store in
            let early = try await store.watch(kind)
            let idle = try await store.watch(kind, options: WatchOptions(eventTypes: [.delete]))
            let late = try await store.watch(kind)
            let earlyReader = Task { try await self.drain(early, kind: kind, "a reader started before the writes") }
            let idleReader = Task { try await self.drain(idle, kind: kind, "a suspended reader that gets no events") }
            try await settle()
            var expected: [Change] = []
            for i in 0..<3 {
                let value = ConformanceValue("w", i)
                try await store.set(kind, "k\(i)", value)
                expected.append(Change(.create, "k\(i)", value))
            }
            try await store.close()
            for (drained, what) in [
                (try await earlyReader.value, "a reader started before the writes"),
                (try await drain(late, kind: kind, "a reader started after the close"), "a reader started after the close"),
            ] {
                try expect(drained.isFinished, "\(what) to end normally (nil) on close", saw: "the stream \(drained.end)")
                try expect(drained.events.changes == expected, "\(what) to get the events published before the close, \(show(expected))",
                           saw: show(drained.events.changes))
            }
            let idleDrained = try await idleReader.value
            try expect(idleDrained.isFinished && idleDrained.events.isEmpty,
                       "a suspended reader with no events to end normally (nil) on close",
                       saw: "the stream \(idleDrained.end) after \(show(idleDrained.events.changes))")
        }

        for round in 0..<rounds {
            try await withStore { store in
                let what = "round \(round): a reader while a writer races the close"
                let watch = try await store.watch(kind, options: WatchOptions(bufferSize: 1 << 16))
                let reader = Task { try await self.drain(watch, kind: kind, what) }
                let progress = Counter()
                let writer = Task { () async throws -> Int in
                    var written = 0
                    while written < 50_000 {
                        do { try await store.set(kind, "k\(written % 3)", ConformanceValue("w", written)) } catch StoreError.closed { break }
                        written += 1
                        progress.increment()
                        if written % 8 == 0 { await Task.yield() }
                    }
                    return written
                }
                try await waitFor(progress, toReach: 10 + round % 20, "round \(round): the writer to get going")
                let before = progress.value
                try await store.close()
                let written = try await timed("round \(round): the writer to stop on StoreError.closed") { try await writer.value }
                let drained = try await reader.value
                try expect(drained.isFinished, "\(what) to end normally (nil)", saw: "the stream \(drained.end)")
                let numbers = drained.events.map(\.value.n)
                try expect(numbers == Array(0..<numbers.count), "\(what) to get a gap-free prefix of the writes",
                           saw: show(numbers, limit: 20))
                try expect(numbers.count >= before && numbers.count <= written,
                           "\(what) to get at least the \(before) writes done before close() and at most the \(written) that succeeded",
                           saw: "\(numbers.count) events")
            }
        }
    }

    func singleConsumer() async throws {
        let kind = "things"
        try await withStore { store in
            let watch = try await store.watch(kind)
            var first = watch.makeAsyncIterator()
            var second = watch.makeAsyncIterator()
            do {
                let event = try await second.next()
                try expect(false, "a second iterator of one watch to throw StoreError.watchAlreadyConsumed",
                           saw: "next() returned \(event.map { "\($0.type) \($0.key)" } ?? "nil")")
            } catch let error as StoreError {
                try expect(error == .watchAlreadyConsumed,
                           "a second iterator of one watch to throw StoreError.watchAlreadyConsumed", saw: "\(error)")
            }
            let after = try await second.next()
            try expect(after == nil, "a second iterator to end (nil) after it threw", saw: "an event")
            let value = ConformanceValue("x", 1)
            try await store.set(kind, "a", value)
            let event = try await first.next()  // published already: returns at once
            try expect(event.map { Change($0) } == Change(.create, "a", value),
                       "the first iterator to keep receiving events after a second one was rejected",
                       saw: "\(event.map { "\($0.type) \($0.key)" } ?? "nil")")
            watch.cancel()
        }
    }

    func cancelEndsWatch() async throws {
        let kind = "things"
        try await withStore { store in
            let unread = try await store.watch(kind)
            unread.cancel()
            try await store.set(kind, "a", ConformanceValue("x", 1))
            let first = try await drain(unread, kind: kind, "a watch cancelled before iterating")
            try expect(first.isFinished && first.events.isEmpty, "a watch cancelled before iterating to end at once (nil)",
                       saw: "the stream \(first.end) after \(show(first.events.changes))")

            let watch = try await store.watch(kind)
            let reader = Task { try await self.drain(watch, kind: kind, "a suspended reader whose watch is cancelled") }
            try await settle()
            watch.cancel()
            watch.cancel()
            let second = try await reader.value
            try expect(second.isFinished && second.events.isEmpty, "a suspended reader to end normally (nil) on cancel()",
                       saw: "the stream \(second.end) after \(show(second.events.changes))")

            let value = ConformanceValue("x", 2)
            try await expectChanges(store, kind, [Change(.create, "b", value)], "a new watch after cancelling others") {
                try await store.set(kind, "b", value)
            }
        }

        for round in 0..<rounds {
            try await withStore { store in
                let what = "round \(round): a reader whose watch is cancelled under a writer"
                let watch = try await store.watch(kind, options: WatchOptions(bufferSize: 1 << 16))
                let reader = Task { try await self.drain(watch, kind: kind, what) }
                let (writer, stop, progress) = startWriter(store, kind)
                try await waitFor(progress, toReach: 20 + 5 * (round % 20), "round \(round): the writer to get going")
                watch.cancel()
                let drained: Result<Drained, any Error>
                do { drained = .success(try await reader.value) } catch { drained = .failure(error) }
                stop.raise()
                _ = try await timed("round \(round): the writer to stop") { try await writer.value }
                try expectCleanEnd(try drained.get(), what, after: "cancel()")
            }
        }
    }

    func taskCancellationEndsWatch() async throws {
        let kind = "things"
        try await withStore { store in
            let watch = try await store.watch(kind)
            let consumer = consume(watch, kind: kind, seen: Counter())
            try await settle()
            consumer.cancel()
            let drained = try await timed("a suspended consumer to end when its task is cancelled") { try await consumer.value }
            try expect(drained.isFinished && drained.events.isEmpty,
                       "a suspended consumer to end normally (nil) when its task is cancelled",
                       saw: "the stream \(drained.end) after \(show(drained.events.changes))")
        }

        for round in 0..<rounds {
            try await withStore { store in
                let what = "round \(round): a consumer whose task is cancelled under a writer"
                let watch = try await store.watch(kind, options: WatchOptions(bufferSize: 1 << 16))
                let seen = Counter()
                let consumer = consume(watch, kind: kind, seen: seen)
                let (writer, stop, _) = startWriter(store, kind)
                let drained: Result<Drained, any Error>
                do {
                    try await waitFor(seen, toReach: 1 + round % 7, "round \(round): the consumer to get events")
                    consumer.cancel()
                    drained = .success(try await timed("\(what) to end") { try await consumer.value })
                } catch {
                    drained = .failure(error)
                }
                stop.raise()
                _ = try await timed("round \(round): the writer to stop") { try await writer.value }
                try expectCleanEnd(try drained.get(), what, after: "task cancellation")
            }
        }
    }

    /// Iterates `watch` in a task of its own (the consuming task), counting events in `seen`.
    private func consume(_ watch: Watch<ConformanceValue>, kind: String, seen: Counter) -> Task<Drained, any Error> {
        Task {
            var iterator = watch.makeAsyncIterator()
            var events: [Event<ConformanceValue>] = []
            do {
                while let event = try await iterator.next() {
                    try check(event, follows: events.last, kind: kind, "a consumer task")
                    events.append(event)
                    seen.increment()
                }
                return Drained(events: events, end: .finished)
            } catch let failure as ConformanceFailure {
                throw failure
            } catch {
                return Drained(events: events, end: .failed(error))
            }
        }
    }

    /// Starts a writer that sets `k0`…`k3` of `kind` to `w#0`, `w#1`, … until `stop` is raised.
    private func startWriter(
        _ store: any Store<ConformanceValue>, _ kind: String
    ) -> (writer: Task<Int, any Error>, stop: Flag, progress: Counter) {
        let stop = Flag(), progress = Counter()
        let writer = Task { () async throws -> Int in
            var written = 0
            while !stop.isRaised && written < 2_000_000 {
                try await store.set(kind, "k\(written % 4)", ConformanceValue("w", written))
                written += 1
                progress.increment()
                if written % 4 == 0 { await Task.yield() }
            }
            return written
        }
        return (writer, stop, progress)
    }

    /// Checks a stream ended normally after a gap-free prefix of the writer's values.
    private func expectCleanEnd(_ drained: Drained, _ what: String, after cause: String) throws {
        try expect(drained.isFinished, "\(what) to end normally (nil) after \(cause)", saw: "the stream \(drained.end)")
        let numbers = drained.events.map(\.value.n)
        try expect(numbers == Array(0..<numbers.count), "\(what) to get a gap-free prefix of the writes",
                   saw: show(numbers, limit: 20))
    }
}
