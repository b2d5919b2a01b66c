import Synchronization

/// The consuming side of a ``RingSubscription``: the position of one single-consumer iterator.
///
/// Owned by exactly one iterator (it is not shared), so its mutable state needs no lock.
@usableFromInline
struct RingCursor<Value: Sendable> {
    @usableFromInline let subscription: RingSubscription<Value>
    /// The ring being read (kept alive here) and its cells, read without touching the ring object.
    @usableFromInline var ring: BroadcastRing<Value>
    @usableFromInline var cells: RingCells<Value>
    @usableFromInline var nextSequence: UInt64
    @usableFromInline var replayIndex = 0
    @usableFromInline var finished = false
    /// Whether this iterator is the subscription's consumer or a second one, which throws.
    @usableFromInline var role: SingleConsumerRole
    /// Events read since the consuming task last suspended. A consumer that keeps up never
    /// needs to suspend, so it yields every ``fairnessInterval`` events to let the other tasks
    /// of the cooperative pool (writers among them) run.
    @usableFromInline var eventsSinceSuspension = 0
    @usableFromInline static var fairnessInterval: Int { 1_024 }
    /// How long the cursor polls for the next event before parking (see ``spinUntilSettled()``).
    @usableFromInline var spinBudget: Duration = .microseconds(5)
    /// Events copied from the ring by the last batch read (``RingCells/readBatch(from:limit:into:)``)
    /// and not yet delivered; the batch's first event is numbered `batchStart`.
    @usableFromInline let batch = PayloadBatch<Value>.make()
    @usableFromInline var batchStart: UInt64 = 0

    @usableFromInline
    init(_ subscription: RingSubscription<Value>) {
        self.subscription = subscription
        self.nextSequence = subscription.startSequence
        self.ring = subscription.startRing
        self.cells = subscription.startRing.cells
        self.role = SingleConsumerRole(claiming: subscription.consumerClaim)
    }

    /// The next event of the batch already copied from the ring, if there is one and the
    /// stream goes on; `nil` means "ask ``next()``", which handles every other case. The
    /// synchronous fast path of a consumer that keeps up: no suspension point, no frame.
    /// `cancel()` is honoured at once; task cancellation is checked by ``next()`` at each batch
    /// (at most ``RingCells/blockSize`` events later), as a task-local lookup per event would
    /// cost as much as the event itself.
    @inlinable @inline(__always)
    mutating func nextBuffered() -> Event<Value>? {
        guard !subscription.isEnded else { return nil }
        while !batch.isEmpty && eventsSinceSuspension < Self.fairnessInterval {
            if let event = takeFromBatch() { return event }
        }
        return nil
    }

    /// Consumes the batch's next payload (the caller checked one is left): its event, or `nil`
    /// when the watch's `eventTypes` filter it out.
    @inlinable @inline(__always)
    mutating func takeFromBatch() -> Event<Value>? {
        let sequence = batchStart &+ UInt64(batch.taken)
        let payload = batch.take()
        eventsSinceSuspension &+= 1
        guard subscription.eventTypes.contains(payload.type) else { return nil }
        return Event(kind: subscription.kind, key: payload.key, type: payload.type, value: payload.value,
                     sequence: subscription.replayCount &+ (sequence &- subscription.startSequence) &+ 1,
                     cause: payload.cause)
    }

    /// The next event, `nil` once the stream ended, or ``StoreError/watchOverflow(kind:)`` when
    /// the consumer fell more than `bufferSize` events behind. Ends exactly once. Runs in the
    /// caller's isolation.
    @inlinable
    nonisolated(nonsending) mutating func next() async throws -> Event<Value>? {
        if role.mustReject {
            finished = true
            try role.rejectIfSecond()
        }
        while !finished {
            if subscription.isEnded || Task.isCancelled {
                return finish()
            }
            if replayIndex < subscription.replay.count {
                defer { replayIndex += 1 }
                return subscription.replay[replayIndex]
            }
            if !batch.isEmpty {
                if let event = takeFromBatch() { return event }
                continue
            }
            let hub = subscription.hub
            // When the ring holds exactly `bufferSize` events, a consumer more than `bufferSize`
            // behind finds its cell overwritten (`.overrun` below), so `head` — a line every
            // publish writes — need not be read per batch. Otherwise compare with it.
            if subscription.bufferSize < UInt64(cells.capacity)
                && hub.head &- nextSequence > subscription.bufferSize {
                throw overflow()
            }
            if eventsSinceSuspension >= Self.fairnessInterval {
                eventsSinceSuspension = 0
                await Task.yield()
                continue
            }
            batch.reset()
            batchStart = nextSequence
            switch cells.readBatch(from: nextSequence, limit: Int(RingCells<Value>.blockSize), into: batch) {
            case .copied:
                nextSequence &+= UInt64(batch.count)
            case .overrun:
                throw overflow()
            case .notYet:
                // The hub's fields share lines with what writers update per publish, so it is
                // consulted only once polling gave up.
                if subscription.bufferSize >= Self.pauseMinimumBuffer {
                    if spinBudget > .zero {
                        // A busy stream and room to fall behind: step aside until a batch has
                        // accumulated, instead of polling the cells the writer is filling
                        // (which costs it a cache-line transfer per event).
                        if hub.isClosed {
                            return finish()
                        }
                        await waitForEvent(batch: batchEvents, timeout: batchPause)
                        eventsSinceSuspension = 0
                        if cells.isSettled(nextSequence) { continue }
                        spinBudget = .zero
                    }
                } else if spinUntilSettled() {
                    continue
                }
                if hub.isClosed {
                    return finish()
                }
                await waitForEvent()
                eventsSinceSuspension = 0
            }
        }
        return nil
    }

    /// Polls briefly before parking: under a steady stream the next event is usually a few
    /// hundred nanoseconds away, far less than a park and wake-up costs both sides. Once it
    /// arrives, it gives the writer a moment more to fill a small batch, so that the cursor then
    /// reads cache lines the writer has finished with instead of the one it is writing.
    ///
    /// Adaptive, so a slow stream does not burn a core: each poll that ends in a park halves the
    /// budget (down to zero), each poll that succeeds — or a wake-up that finds a batch waiting —
    /// restores it. Bounded in time, not iterations, so it behaves alike on any machine and under
    /// any instrumentation.
    @usableFromInline
    mutating func spinUntilSettled() -> Bool {
        guard spinBudget > .zero else { return false }
        // Slots are checked only every `pollInterval`: a consumer re-reading the very line the
        // writer is filling would make the writer fetch it back for each store.
        let clock = ContinuousClock()
        let start = clock.now
        var lastPoll = start
        while !cells.isSettled(nextSequence) {
            lastPoll = clock.now
            while clock.now - lastPoll < Self.pollInterval {}
            if clock.now - start > spinBudget {
                spinBudget = spinBudget < Self.minimumSpin ? .zero : spinBudget / 2
                return false
            }
        }
        spinBudget = Self.maximumSpin
        let ahead = nextSequence &+ batchLag
        let arrived = clock.now
        while !cells.isSettled(ahead) && clock.now - arrived < Self.batchWait {
            let polled = clock.now
            while clock.now - polled < Self.pollInterval {}
        }
        return true
    }

    @usableFromInline static var pollInterval: Duration { .nanoseconds(300) }
    /// How many events a consumer of a busy stream lets accumulate before the writer wakes it:
    /// a sixteenth of its buffer. Each wake-up (a thread switch, ~10 µs) is paid once per batch,
    /// not per event, and a wake-up that comes late by milliseconds still leaves most of the
    /// buffer as margin.
    @usableFromInline var batchEvents: UInt64 { subscription.bufferSize / 16 }
    /// How long a consumer waits for its batch at most, so that a stream that slows down is
    /// still delivered promptly: its buffer divided by 64 events/µs, at most 1 ms. Only a bound
    /// on latency — a busy stream wakes the consumer through the writer, not through this timer
    /// (timers on a loaded machine fire late by several milliseconds).
    @usableFromInline var batchPause: Duration {
        .nanoseconds(Int64(min(subscription.bufferSize, 64_000)) &* 1_000 / 64)
    }
    @usableFromInline static var pauseMinimumBuffer: UInt64 { 16_384 }

    /// How far ahead of the cursor a batch is awaited.
    @usableFromInline var batchLag: UInt64 { UInt64(min(16, cells.capacity / 4)) }
    @usableFromInline static var maximumSpin: Duration { .microseconds(5) }
    @usableFromInline static var minimumSpin: Duration { .nanoseconds(500) }
    @usableFromInline static var batchWait: Duration { .microseconds(3) }

    /// Parks until the next event may be there — or, with `batch`, the `batch`-th from here, or
    /// `timeout` passed; follows the hub to a larger ring if it grew.
    @usableFromInline
    nonisolated(nonsending) mutating func waitForEvent(batch: UInt64 = 1, timeout: Duration? = nil) async {
        let subscription = self.subscription
        let hub = subscription.hub
        await hub.waitForEvent(nextSequence &+ max(batch, 1) &- 1, in: ring, consumer: subscription.id,
                               timeout: timeout) { subscription.isEnded }
        let current = hub.consumerRing
        if current !== ring && nextSequence >= current.startSequence {
            ring = current
            cells = current.cells
        }
        // A batch already waiting means the stream is fast again: poll next time. With room to
        // fall behind, wait for a batch next time whatever: otherwise a consumer faster than
        // the writer parks after every event, and waking it costs the writer far more than
        // the event itself (an idle stream costs one timed wait per wake-up).
        if subscription.bufferSize >= Self.pauseMinimumBuffer || cells.isSettled(nextSequence &+ batchLag) {
            spinBudget = Self.maximumSpin
        }
    }

    @usableFromInline
    mutating func finish() -> Event<Value>? {
        finished = true
        batch.reset()
        subscription.end()
        return nil
    }

    @usableFromInline
    mutating func overflow() -> StoreError {
        finished = true
        batch.reset()
        subscription.end()
        return .watchOverflow(kind: subscription.hub.kind)
    }
}
