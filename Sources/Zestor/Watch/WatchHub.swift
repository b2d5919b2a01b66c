public import Synchronization
import Dispatch

/// The publishing point of one watched kind: a sequence counter, the current ring, and the
/// consumers parked waiting for events.
///
/// Who may touch what:
/// - `ring` (the writers' view) is replaced only while *every* shard of the store is locked
///   exclusively and read by writers holding their shard's lock, so no publish is in flight
///   during a replacement.
/// - ``publish(key:type:value:cause:)`` is called by writers holding the lock of the shard that owns
///   the key. That lock orders the events of one key; the atomic `head` orders everything else.
/// - `parking` guards the consumers' view (current ring, parked continuations, closed flag).
///
/// A parked consumer waits for one event number, its *target*: the next event (the consumer
/// is idle) or the last of a batch (a busy consumer with a large buffer, which lets the writer
/// wake it once per batch instead of once per event). `wakeThreshold` is the smallest target
/// parked, `UInt64.max` when none; a writer publishing an event at or past it wakes the
/// consumers whose target is due.
///
/// No lost wake-ups: a writer stores a slot's stamp, then loads `wakeThreshold`; a consumer
/// lowers `wakeThreshold` to its target, then re-checks its target's slot. All four are
/// sequentially consistent.
@usableFromInline
final class WatchHub<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `ring` is guarded by the store's shard locks as documented above; every
    // other stored property is immutable, atomic, or inside the `parking` mutex.
    @usableFromInline let kind: String
    /// The next sequence number to claim; on its own cache line, since every publish writes it.
    @usableFromInline let headCounter = CacheLineCounter(0)
    @usableFromInline private(set) var ring: BroadcastRing<Value>
    /// `ring.cells`, kept here so a publish reads no field of the ring object. Same guard as `ring`.
    /// Exclusivity is not checked at run time: the shard locks already make every write exclusive
    /// of every read (see above), so the dynamic check would be a runtime call per publish for nothing.
    @exclusivity(unchecked) @usableFromInline private(set) var cells: RingCells<Value>
    @usableFromInline let wakeThreshold = Atomic<UInt64>(.max)
    @usableFromInline let closedFlag = Atomic<Bool>(false)
    private let parking: Locked<ParkingLot>

    private struct ParkingLot {
        var ring: BroadcastRing<Value>
        /// Parked consumers by id: how to resume them and the event they wait for.
        var parked: [UInt64: (continuation: CheckedContinuation<Void, Never>, target: UInt64)] = [:]
        var closed = false
    }

    init(kind: String, capacity: Int) {
        self.kind = kind
        let ring = BroadcastRing<Value>(minimumCapacity: capacity, startSequence: 0)
        self.ring = ring
        self.cells = ring.cells
        parking = Locked(ParkingLot(ring: ring))
    }

    /// Claims the next sequence number and stores the event. Caller holds its shard's lock.
    @inlinable
    func publish(key: String, type: EventType, value: Value, cause: EventCause = .write) {
        let sequence = headCounter.atomic.pointee.wrappingAdd(1, ordering: .relaxed).oldValue
        cells.publish(sequence, RingPayload(key: key, type: type, value: value, cause: cause))
        if sequence >= wakeThreshold.load(ordering: .sequentiallyConsistent) {
            wakeDue(sequence)
        }
    }

    /// The next sequence number to claim.
    @inlinable var head: UInt64 { headCounter.atomic.pointee.load(ordering: .relaxed) }

    deinit { headCounter.deallocate() }

    /// Whether ``close()`` ran: no event will be published any more.
    @inlinable var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    /// Makes sure the ring holds at least `capacity` events, replacing it with a larger one
    /// that continues the sequence. Caller holds every shard lock exclusively.
    func ensureCapacity(_ capacity: Int) {
        guard ring.capacity < capacity else { return }
        let larger = BroadcastRing<Value>(minimumCapacity: capacity, startSequence: head)
        ring = larger
        cells = larger.cells
        let woken = parking.withLock { lot in
            lot.ring = larger
            return takeAll(&lot)
        }
        for continuation in woken { continuation.resume() }
    }

    /// The ring consumers must read from once their cursor reaches its start.
    @usableFromInline var consumerRing: BroadcastRing<Value> { parking.withLock { $0.ring } }

    /// Suspends the consumer `id` until event `target` of `ring` may be readable, the ring was
    /// superseded, the hub closed, `isEnded()` holds, the task is cancelled or — with a
    /// `timeout` — that much time passed (so a batch that stops short of `target` is still
    /// delivered). May also return early; callers re-check.
    @usableFromInline
    func waitForEvent(_ target: UInt64, in ring: BroadcastRing<Value>, consumer id: UInt64, timeout: Duration? = nil,
                      isEnded: @escaping @Sendable () -> Bool) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let parked = parking.withLock { lot -> Bool in
                    lot.parked[id] = (continuation, target)
                    if target < wakeThreshold.load(ordering: .sequentiallyConsistent) {
                        wakeThreshold.store(target, ordering: .sequentiallyConsistent)
                    }
                    if lot.closed || lot.ring !== ring || ring.cells.isSettled(target) || isEnded() || Task.isCancelled {
                        lot.parked[id] = nil
                        updateThreshold(lot)
                        return false
                    }
                    return true
                }
                if !parked {
                    continuation.resume()
                } else if let timeout {
                    // The timer only bounds latency: if it fires late, the writer still wakes
                    // the consumer at `target`. If the consumer parked again meanwhile, it is
                    // woken early once, which costs it a smaller batch. A dispatch timer, not a
                    // Task that sleeps: a consumer of a trickling stream waits like this about
                    // once per event, and a Task per wait flooded the concurrency pool's queue
                    // (other tasks' writers starved for seconds in the test suite).
                    DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(timeout.inNanoseconds)) {
                        [weak self] in self?.wake(consumer: id)
                    }
                }
            }
        } onCancel: {
            wake(consumer: id)
        }
    }

    /// Resumes consumer `id` if it is parked (its watch was cancelled, its task was, or its
    /// timeout passed).
    func wake(consumer id: UInt64) {
        let continuation = parking.withLock { lot -> CheckedContinuation<Void, Never>? in
            guard let parked = lot.parked.removeValue(forKey: id) else { return nil }
            updateThreshold(lot)
            return parked.continuation
        }
        continuation?.resume()
    }

    /// Ends the hub: consumers drain what was published, then end. Caller guarantees no writer
    /// will publish any more (the store is closed under every shard lock).
    func close() {
        closedFlag.store(true, ordering: .releasing)
        let woken = parking.withLock { lot in
            lot.closed = true
            return takeAll(&lot)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Resumes the consumers waiting for `sequence` or an earlier event. Called by the writer
    /// that published `sequence`.
    @usableFromInline
    func wakeDue(_ sequence: UInt64) {
        let woken = parking.withLock { lot -> [CheckedContinuation<Void, Never>] in
            let due = lot.parked.filter { $0.value.target <= sequence }
            for id in due.keys { lot.parked[id] = nil }
            updateThreshold(lot)
            return due.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Sets `wakeThreshold` to the smallest parked target. Caller holds `parking`.
    private func updateThreshold(_ lot: ParkingLot) {
        let threshold = lot.parked.values.lazy.map(\.target).min() ?? .max
        wakeThreshold.store(threshold, ordering: .sequentiallyConsistent)
    }

    private func takeAll(_ lot: inout ParkingLot) -> [CheckedContinuation<Void, Never>] {
        guard !lot.parked.isEmpty else { return [] }
        let woken = lot.parked.values.map(\.continuation)
        lot.parked.removeAll(keepingCapacity: true)
        wakeThreshold.store(.max, ordering: .sequentiallyConsistent)
        return woken
    }
}
