import Synchronization

/// A ``Watch`` source built from any `AsyncSequence` of events (stores outside this module).
///
/// Ends once: on ``end()``, on the consumer's task cancellation, or when released before the
/// base sequence finished; each of those calls `onCancel` exactly once.
final class ExternalSubscription<Value: Sendable>: Sendable {
    let makeIterator: @Sendable () -> any EventIterating<Value>
    private let onCancel: @Sendable () -> Void
    /// 0 = live, 1 = the base sequence finished by itself, 2 = ended early (onCancel called).
    private let state = Atomic<UInt8>(0)
    /// Taken by the first iterator (a Watch has a single consumer).
    let consumerClaim = SingleConsumerClaim()

    init<Events: AsyncSequence & Sendable>(_ events: Events, onCancel: @escaping @Sendable () -> Void)
    where Events.Element == Event<Value> {
        makeIterator = { TypedEventIterator(events.makeAsyncIterator()) }
        self.onCancel = onCancel
    }

    deinit { end() }

    var isEnded: Bool { state.load(ordering: .acquiring) != 0 }

    /// Ends the stream early, calling `onCancel` unless it already ended.
    func end() {
        if state.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing).exchanged {
            onCancel()
        }
    }

    /// Records that the base sequence finished by itself (no `onCancel`).
    func finishedNaturally() {
        _ = state.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing)
    }
}

/// The consuming side of an ``ExternalSubscription``; a reference so the iterator struct can
/// stay copyable while the base iterator is mutated in place.
@usableFromInline
final class ExternalCursor<Value: Sendable> {
    private let subscription: ExternalSubscription<Value>
    private var base: (any EventIterating<Value>)?
    private var finished = false
    private var role: SingleConsumerRole

    init(_ subscription: ExternalSubscription<Value>) {
        self.subscription = subscription
        role = SingleConsumerRole(claiming: subscription.consumerClaim)
        base = role.mustReject ? nil : subscription.makeIterator()
    }

    @usableFromInline
    nonisolated(nonsending) func next() async throws -> Event<Value>? {
        if role.mustReject {
            finished = true
            try role.rejectIfSecond()
        }
        guard !finished, let base else { return nil }
        if subscription.isEnded || Task.isCancelled {
            return finish(early: true)
        }
        do {
            guard let event = try await base.next() else {
                return finish(early: false)
            }
            if subscription.isEnded || Task.isCancelled {
                return finish(early: true)
            }
            return event
        } catch {
            _ = finish(early: false)
            throw error
        }
    }

    private func finish(early: Bool) -> Event<Value>? {
        finished = true
        base = nil
        if early { subscription.end() } else { subscription.finishedNaturally() }
        return nil
    }
}

/// The iterator of an external event sequence, erased to its element type.
protocol EventIterating<Value>: AnyObject {
    associatedtype Value: Sendable
    nonisolated(nonsending) func next() async throws -> Event<Value>?
}

/// Holds the base sequence's iterator so it can be advanced in place.
final class TypedEventIterator<Base: AsyncIteratorProtocol, Value: Sendable>: EventIterating
where Base.Element == Event<Value> {
    private var base: Base

    init(_ base: Base) {
        self.base = base
    }

    nonisolated(nonsending) func next() async throws -> Event<Value>? {
        try await base.next(isolation: #isolation)
    }
}
