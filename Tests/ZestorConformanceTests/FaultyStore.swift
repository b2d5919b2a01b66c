import Zestor
import ZestorConformance

/// A deliberate contract violation ``FaultyStore`` can commit.
enum Fault: Hashable, Sendable, CaseIterable {
    /// `watch(initialReplay:)` subscribes, then (a moment later) takes the snapshot: not atomic.
    case lateReplay
    /// Ignores change detection: every write is a change, even of an equal value.
    case changeBlind
    /// `watch(initialReplay:)` takes the snapshot, then (a moment later) subscribes: events in between are lost.
    case earlyReplay
    /// A watch that overflows ends normally instead of throwing `watchOverflow`.
    case swallowOverflow
    /// `setMany` writes key by key, so a validator failure leaves the earlier keys written.
    case splitSetMany
    /// `set` runs in a task of its own, so it ignores the caller's cancellation.
    case ignoresCancellation
}

/// A store outside the `Zestor` module: a ``MemoryStore`` behind the `Store` protocol, whose
/// watches are rebuilt with `Watch`'s public initializer, committing the given ``Fault``s.
/// With no faults it must pass the whole suite.
final class FaultyStore: Store {
    typealias Value = ConformanceValue

    private let inner: MemoryStore<ConformanceValue>
    private let faults: Set<Fault>

    init(options: StoreOptions<ConformanceValue>, faults: Set<Fault>) {
        var options = options
        if faults.contains(.changeBlind) { options.isEquivalent = { _, _ in false } }
        inner = MemoryStore(options: options)
        self.faults = faults
    }

    nonisolated(nonsending) func get(_ kind: String, _ key: String) async throws -> ConformanceValue? {
        try inner.get(kind, key)
    }

    nonisolated(nonsending) func list(
        _ kind: String, where filters: [(String, ConformanceValue) -> Bool]
    ) async throws -> [String: ConformanceValue] {
        try inner.list(kind, where: filters)
    }

    nonisolated(nonsending) func count(_ kind: String) async throws -> Int { try inner.count(kind) }

    nonisolated(nonsending) func keys(_ kind: String) async throws -> [String] { try inner.keys(kind) }

    nonisolated(nonsending) func values(_ kind: String) async throws -> [KeyValue<ConformanceValue>] {
        try inner.values(kind)
    }

    nonisolated(nonsending) func getAll() async throws -> [String: [String: ConformanceValue]] {
        try inner.getAll()
    }

    @discardableResult
    nonisolated(nonsending) func set(_ kind: String, _ key: String, _ value: ConformanceValue) async throws -> SetResult {
        if faults.contains(.ignoresCancellation) {
            let inner = inner
            return try await Task { try inner.set(kind, key, value) }.value
        }
        return try inner.set(kind, key, value)
    }

    @discardableResult
    nonisolated(nonsending) func update(
        _ kind: String, _ key: String, _ transform: (inout ConformanceValue) throws -> Void
    ) async throws -> Bool {
        try inner.update(kind, key, transform)
    }

    nonisolated(nonsending) func setMany(_ kind: String, _ values: [String: ConformanceValue]) async throws {
        if faults.contains(.splitSetMany) {
            for key in values.keys.sorted() { try inner.set(kind, key, values[key]!) }
            return
        }
        try inner.setMany(kind, values)
    }

    @discardableResult
    nonisolated(nonsending) func delete(_ kind: String, _ key: String) async throws -> ConformanceValue? {
        try inner.delete(kind, key)
    }

    nonisolated(nonsending) func watch(_ kind: String, options: WatchOptions) async throws -> Watch<ConformanceValue> {
        var liveOptions = options
        var replay: [Event<ConformanceValue>] = []
        if options.initialReplay && !faults.isDisjoint(with: [.lateReplay, .earlyReplay]) {
            liveOptions.initialReplay = false
            let live: Watch<ConformanceValue>
            let snapshot: [String: ConformanceValue]
            if faults.contains(.lateReplay) {
                live = try inner.watch(kind, options: liveOptions)
                try await Task.sleep(for: .microseconds(300))   // widen the window a concurrent writer slips into
                do { snapshot = try inner.list(kind, where: []) } catch { live.cancel(); throw error }
            } else {
                snapshot = try inner.list(kind, where: [])
                try await Task.sleep(for: .microseconds(300))
                live = try inner.watch(kind, options: liveOptions)
            }
            for (index, key) in snapshot.keys.sorted().enumerated()
            where options.eventTypes?.contains(.create) ?? true {
                replay.append(Event(kind: kind, key: key, type: .create, value: snapshot[key]!, sequence: UInt64(index + 1)))
            }
            return rewrap(live, replay: replay)
        }
        return rewrap(try inner.watch(kind, options: liveOptions), replay: [])
    }

    nonisolated(nonsending) func close() async throws {
        try Task.checkCancellation()
        try inner.close()
    }

    /// Rebuilds `live` through `Watch`'s public initializer, prefixed by `replay`.
    private func rewrap(_ live: Watch<ConformanceValue>, replay: [Event<ConformanceValue>]) -> Watch<ConformanceValue> {
        Watch(Relay(replay: replay, live: live, swallowOverflow: faults.contains(.swallowOverflow)),
              onCancel: { live.cancel() })
    }
}

/// Delivers `replay`, then the events of `live`, renumbered after the replay.
private struct Relay: AsyncSequence, Sendable {
    let replay: [Event<ConformanceValue>]
    let live: Watch<ConformanceValue>
    let swallowOverflow: Bool

    func makeAsyncIterator() -> Iterator {
        Iterator(pending: replay.makeIterator(), live: live.makeAsyncIterator(),
                 offset: UInt64(replay.count), swallowOverflow: swallowOverflow)
    }

    struct Iterator: AsyncIteratorProtocol {
        var pending: IndexingIterator<[Event<ConformanceValue>]>
        var live: Watch<ConformanceValue>.AsyncIterator
        let offset: UInt64
        let swallowOverflow: Bool

        mutating func next() async throws -> Event<ConformanceValue>? {
            if let event = pending.next() { return event }
            let event: Event<ConformanceValue>?
            do {
                event = try await live.next()
            } catch StoreError.watchOverflow where swallowOverflow {
                return nil
            }
            guard let event else { return nil }
            return Event(kind: event.kind, key: event.key, type: event.type, value: event.value,
                         sequence: event.sequence + offset)
        }
    }
}
