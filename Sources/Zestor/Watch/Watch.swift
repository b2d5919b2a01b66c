/// A single-consumer stream of the changes of one kind.
///
/// Iteration throws ``StoreError/watchOverflow(kind:)`` when the consumer fell more than
/// ``WatchOptions/bufferSize`` events behind (after the events it already received; re-list and
/// re-watch), and ends normally (`nil`) when the store is closed (after the events published
/// before the close), on ``cancel()``, or when the consuming `Task` is cancelled. The iterator
/// keeps the subscription alive; releasing both the `Watch` and its iterator ends it.
/// A second call to `makeAsyncIterator()` yields an iterator that throws
/// ``StoreError/watchAlreadyConsumed``.
public final class Watch<Value: Sendable>: AsyncSequence, Sendable {
    /// A change of the watched kind.
    public typealias Element = Event<Value>
    /// Iteration throws ``StoreError/watchOverflow(kind:)`` or the source's own errors.
    public typealias Failure = any Error

    private enum Source: Sendable {
        case ring(RingSubscription<Value>)
        case external(ExternalSubscription<Value>)
    }

    private let source: Source

    init(_ subscription: RingSubscription<Value>) {
        source = .ring(subscription)
    }

    /// Wraps any sequence of events, for `Store` implementations outside this module.
    ///
    /// - Parameters:
    ///   - events: the events to deliver, iterated by the single consumer.
    ///   - onCancel: called exactly once when the stream ends early: on ``cancel()``, when the
    ///     consuming task is cancelled, or when the `Watch` and its iterator are released
    ///     before `events` finished. Not called when `events` ends by itself.
    public init<Events: AsyncSequence & Sendable>(_ events: Events, onCancel: @escaping @Sendable () -> Void)
    where Events.Element == Event<Value> {
        source = .external(ExternalSubscription(events, onCancel: onCancel))
    }

    /// Ends the stream: the consumer's pending or next iteration returns `nil`. Idempotent.
    public func cancel() {
        switch source {
        case .ring(let subscription): subscription.end()
        case .external(let subscription): subscription.end()
        }
    }

    /// The single iterator of this watch.
    public func makeAsyncIterator() -> AsyncIterator {
        switch source {
        case .ring(let subscription): AsyncIterator(ring: RingCursor(subscription))
        case .external(let subscription): AsyncIterator(external: ExternalCursor(subscription))
        }
    }

    /// Iterates the events of a ``Watch``. Not to be shared between tasks.
    public struct AsyncIterator: AsyncIteratorProtocol {
        // Exactly one of the two is set. Two optionals rather than an enum, so the ring cursor
        // is advanced in place.
        @usableFromInline var ring: RingCursor<Value>?
        @usableFromInline var external: ExternalCursor<Value>?

        init(ring: RingCursor<Value>) {
            self.ring = ring
        }

        init(external: ExternalCursor<Value>) {
            self.external = external
        }

        /// The next event, or `nil` when the stream ended.
        ///
        /// `nonisolated(nonsending)` rather than isolated to `actor`: the two run in the same
        /// place whenever the caller passes its own isolation (`for await` does), but a function
        /// isolated to a parameter starts with an executor switch — a runtime call that cost a
        /// consumer ~40% of its time per event. This one runs where the caller runs, so an event
        /// already copied from the ring is handed over with no executor call at all. `actor` is
        /// not used: nothing here is isolated state.
        @inlinable
        nonisolated(nonsending) public mutating func next(isolation actor: (any Actor)? = #isolation) async throws -> Event<Value>? {
            if ring != nil {
                if let event = ring!.nextBuffered() { return event }
                return try await ring!.next()
            }
            return try await external?.next()
        }

        /// The next event, or `nil` when the stream ended.
        @inlinable
        public mutating func next() async throws -> Event<Value>? {
            try await next(isolation: nil)
        }
    }
}
