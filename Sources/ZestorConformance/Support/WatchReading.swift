import Zestor

/// How reading a watch ended.
enum StreamEnd: Sendable, CustomStringConvertible {
    /// The reader's stop condition held; the stream may go on.
    case stopped
    /// Iteration returned `nil`.
    case finished
    /// Iteration threw.
    case failed(any Error)

    var description: String {
        switch self {
        case .stopped: "was stopped by the reader"
        case .finished: "ended normally (nil)"
        case .failed(let error): "threw \(type(of: error)): \(error)"
        }
    }

    /// The error thrown, if iteration threw.
    var error: (any Error)? {
        if case .failed(let error) = self { error } else { nil }
    }
}

/// The events a reader got, and how its reading ended.
struct Drained: Sendable {
    var events: [Event<ConformanceValue>]
    var end: StreamEnd

    var isFinished: Bool {
        if case .finished = end { true } else { false }
    }
}

extension CaseContext {
    /// Reads `watch` until `stop` holds for an event, iteration returns `nil`, or it throws;
    /// bounded by the suite's timeout.
    ///
    /// Checks on the way that every event belongs to `kind` and that `sequence` strictly
    /// increases, and, once the stream ended (nil or throw), that it stays ended.
    /// - Parameter slow: yield after each event, to make the reader fall behind a fast writer.
    func drain(
        _ watch: Watch<ConformanceValue>, kind: String, _ what: String, slow: Bool = false,
        until stop: @escaping @Sendable (Event<ConformanceValue>) -> Bool = { _ in false }
    ) async throws -> Drained {
        try await timed("\(what) to reach its end") {
            var iterator = watch.makeAsyncIterator()
            var events: [Event<ConformanceValue>] = []
            let end: StreamEnd
            while true {
                let next: Event<ConformanceValue>?
                do { next = try await iterator.next() } catch { end = .failed(error); break }
                guard let event = next else { end = .finished; break }
                try check(event, follows: events.last, kind: kind, what)
                events.append(event)
                if stop(event) { return Drained(events: events, end: .stopped) }
                if slow { await Task.yield() }
            }
            let after: Event<ConformanceValue>?
            do { after = try await iterator.next() } catch { after = nil }
            if let after {
                throw fail("\(what): no event once the stream \(end)",
                           saw: "\(Change(after)) (seq \(after.sequence)) after \(events.count) events")
            }
            return Drained(events: events, end: end)
        }
    }

    /// Checks one event against the previous one of its stream.
    func check(_ event: Event<ConformanceValue>, follows previous: Event<ConformanceValue>?, kind: String, _ what: String) throws {
        try expect(event.kind == kind, "\(what): only events of kind '\(kind)'",
                   saw: "\(Change(event)) of kind '\(event.kind)'")
        if let previous {
            try expect(event.sequence > previous.sequence, "\(what): strictly increasing Event.sequence",
                       saw: "\(Change(event)) with sequence \(event.sequence) after \(Change(previous)) with \(previous.sequence)")
        }
    }

    /// Watches `kind`, runs `actions`, then writes a sentinel key and returns every event up to
    /// (not including) the sentinel's: exactly the events `actions` caused, extra ones included.
    /// The sentinel is deleted again afterwards.
    func record(
        _ store: any Store<ConformanceValue>, _ kind: String,
        _ actions: () async throws -> Void
    ) async throws -> [Event<ConformanceValue>] {
        let watch = try await store.watch(kind, options: WatchOptions(bufferSize: 1024))
        try await actions()
        let sentinel = "~sentinel-\(UInt32.random(in: .min ... .max))"
        try await store.set(kind, sentinel, ConformanceValue("sentinel", 0))
        let drained = try await drain(watch, kind: kind, "a watch of '\(kind)' to deliver a sentinel write",
                                      until: { $0.key == sentinel })
        watch.cancel()
        _ = try await store.delete(kind, sentinel)
        guard case .stopped = drained.end else {
            throw fail("a watch of '\(kind)' to deliver the sentinel write \(sentinel)",
                       saw: "the stream \(drained.end) after \(show(drained.events.changes))")
        }
        return Array(drained.events.dropLast())
    }

    /// `record`, then checks the changes are exactly `expected`.
    func expectChanges(
        _ store: any Store<ConformanceValue>, _ kind: String, _ expected: [Change], _ what: String,
        _ actions: () async throws -> Void
    ) async throws {
        let events = try await record(store, kind, actions)
        try expect(events.changes == expected, "\(what) to emit exactly \(show(expected))",
                   saw: show(events.changes))
    }
}
