public import Synchronization

/// One watcher's registration on a ``WatchHub``: where its stream starts, what it wants, and
/// whether it has ended.
///
/// Immutable apart from two atomics, so it is shared freely between the ``Watch`` (which may be
/// cancelled from any task) and the single iterator that consumes it. It ends exactly once —
/// on ``end()`` or when the last reference goes away — and then unregisters from the store.
@usableFromInline
final class RingSubscription<Value: Sendable>: Sendable {
    @usableFromInline let id: UInt64
    @usableFromInline let hub: WatchHub<Value>
    /// The hub's kind, kept here so consumers never read the hub's hot cache lines per event.
    @usableFromInline let kind: String
    @usableFromInline let bufferSize: UInt64
    @usableFromInline let eventTypes: EventTypeMask
    /// The hub's next sequence number when the subscription was taken (under every shard lock).
    @usableFromInline let startSequence: UInt64
    /// The ring that held `startSequence` when the subscription was taken.
    @usableFromInline let startRing: BroadcastRing<Value>
    /// Initial-replay events, already filtered; delivered before any live event.
    @usableFromInline let replay: [Event<Value>]
    /// The number of replayed entries before filtering: live sequence numbers continue after it.
    @usableFromInline let replayCount: UInt64
    @usableFromInline let ended = Atomic<Bool>(false)
    /// Taken by the first iterator (a Watch has a single consumer).
    let consumerClaim = SingleConsumerClaim()
    private let unregister: @Sendable () -> Void

    init(id: UInt64, hub: WatchHub<Value>, options: WatchOptions, startSequence: UInt64,
         startRing: BroadcastRing<Value>, replay: [Event<Value>], replayCount: Int, unregister: @escaping @Sendable () -> Void) {
        self.id = id
        self.hub = hub
        self.kind = hub.kind
        self.bufferSize = UInt64(options.bufferSize)
        self.eventTypes = EventTypeMask(options.eventTypes)
        self.startSequence = startSequence
        self.startRing = startRing
        self.replay = replay
        self.replayCount = UInt64(replayCount)
        self.unregister = unregister
    }

    deinit { end() }

    /// Whether the subscription was cancelled or released.
    @inlinable var isEnded: Bool { ended.load(ordering: .acquiring) }

    /// Ends the subscription once: wakes its consumer and unregisters from the store.
    @usableFromInline
    func end() {
        guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
        hub.wake(consumer: id)
        unregister()
    }

}

/// A set of ``EventType``s as a bit mask, so filtering costs one AND on the consumer's path.
@usableFromInline
struct EventTypeMask: Sendable {
    @usableFromInline let bits: UInt8

    init(_ types: Set<EventType>?) {
        guard let types else {
            bits = 0b111
            return
        }
        var bits: UInt8 = 0
        for type in types { bits |= Self.bit(type) }
        self.bits = bits
    }

    @inlinable func contains(_ type: EventType) -> Bool { bits & Self.bit(type) != 0 }

    @inlinable static func bit(_ type: EventType) -> UInt8 {
        switch type {
        case .create: 1
        case .update: 2
        case .delete: 4
        }
    }
}
