/// The consuming side of a ``RingSubscription``: the position of one single-consumer iterator.
///
/// Owned by exactly one iterator (it is not shared), so its mutable state needs no lock.
struct RingCursor<Value: Sendable> {
    private let subscription: RingSubscription<Value>
    private var ring: BroadcastRing<Value>
    private var nextSequence: UInt64
    private var replayIndex = 0
    private var finished = false
    /// Set when another iterator already consumes this subscription.
    private var isSecondConsumer: Bool

    init(_ subscription: RingSubscription<Value>) {
        self.subscription = subscription
        self.nextSequence = subscription.startSequence
        self.ring = subscription.startRing
        self.isSecondConsumer = !subscription.claimIteration()
    }

    /// The next event, `nil` once the stream ended, or ``StoreError/watchOverflow(kind:)`` when
    /// the consumer fell more than `bufferSize` events behind. Ends exactly once.
    mutating func next() async throws -> Event<Value>? {
        if isSecondConsumer {
            isSecondConsumer = false
            finished = true
            throw StoreError.invalidArgument("a Watch has a single consumer: makeAsyncIterator() was called twice")
        }
        while !finished {
            if subscription.isEnded || Task.isCancelled {
                return finish()
            }
            if replayIndex < subscription.replay.count {
                defer { replayIndex += 1 }
                return subscription.replay[replayIndex]
            }
            let hub = subscription.hub
            if hub.head.load(ordering: .relaxed) &- nextSequence > subscription.bufferSize {
                throw overflow()
            }
            switch ring.read(nextSequence) {
            case .event(let payload):
                let sequence = nextSequence
                nextSequence &+= 1
                if subscription.eventTypes.contains(payload.type) {
                    return Event(kind: hub.kind, key: payload.key, type: payload.type, value: payload.value,
                                 sequence: subscription.replayCount &+ (sequence &- subscription.startSequence) &+ 1)
                }
            case .overrun:
                throw overflow()
            case .notYet:
                if hub.isClosed {
                    return finish()
                }
                let subscription = self.subscription
                await hub.waitForEvent(nextSequence, in: ring, consumer: subscription.id) { subscription.isEnded }
                let current = hub.consumerRing
                if current !== ring && nextSequence >= current.startSequence {
                    ring = current
                }
            }
        }
        return nil
    }

    private mutating func finish() -> Event<Value>? {
        finished = true
        subscription.end()
        return nil
    }

    private mutating func overflow() -> StoreError {
        finished = true
        subscription.end()
        return .watchOverflow(kind: subscription.hub.kind)
    }
}
