public import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What one watcher event carries through the ring (the kind is the hub's).
@usableFromInline
struct RingPayload<Value: Sendable>: Sendable {
    // Ordered key, value, type, cause so the one-byte fields pack at the end.
    @usableFromInline let key: String
    @usableFromInline let value: Value
    @usableFromInline let type: EventType
    @usableFromInline let cause: EventCause

    @inlinable
    init(key: String, type: EventType, value: Value, cause: EventCause) {
        self.key = key
        self.type = type
        self.value = value
        self.cause = cause
    }
}

/// The handshake state of one cell of a ``BroadcastRing``; the cell's payload lives in a
/// separate array so that payload accesses and atomic accesses never overlap in memory.
///
/// Protocol (a per-slot reader/writer handshake that makes ARC payloads safe to reclaim):
/// - `stamp` is `sequence + 1` of the payload held, `0` when empty, ``SlotControl/busy`` while a
///   writer owns the slot.
/// - A writer CASes `stamp` to `busy`, waits for `readers` to drain, swaps the payload, then
///   stores the new stamp. It only ever waits for copies in progress, never for consumption.
/// - A reader increments `readers`, loads `stamp`, copies the payload only if the stamp is the
///   one it expects, then decrements `readers`.
/// Both sides use sequentially consistent operations on the two atomics (a Dekker handshake), so
/// either the reader sees `busy` and backs off, or the writer sees the reader and waits for it.
@usableFromInline
struct SlotControl: ~Copyable {
    @inlinable static var busy: UInt64 { .max }

    @usableFromInline let stamp = Atomic<UInt64>(0)
    @usableFromInline let readers = Atomic<Int>(0)

    @usableFromInline init() {}
}

/// How a batch read from a ring ended.
@usableFromInline
enum RingBatchEnd {
    /// At least one event was copied.
    case copied
    /// The first event is not published yet (claimed by a writer still copying it in, or not claimed).
    case notYet
    /// The first event was overwritten by a later one: the reader was lapped.
    case overrun
}

/// A fixed-capacity, multi-producer, multi-consumer broadcast ring of events.
///
/// Writers claim sequence numbers from their ``WatchHub`` and store each event in slot
/// `sequence & mask`, overwriting whatever was there. Consumers own their cursor and read slots
/// without taking any lock; a consumer whose slot has been overwritten was lapped.
/// The ring never waits for consumers. It holds events numbered from `startSequence` on.
@usableFromInline
final class BroadcastRing<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `cells` is a fixed allocation whose cells are only touched through the
    // per-slot handshake documented on `SlotControl` (a payload is accessed only by the writer
    // that owns its cell via `stamp == busy`, or by readers registered in `readers`).
    /// The first sequence number this ring carries (earlier ones live in a predecessor ring).
    @usableFromInline let startSequence: UInt64
    /// The cells. Writers and consumers copy this view and work through it, so that the hot path
    /// never touches this object (whose reference count other threads may be changing).
    @usableFromInline let cells: RingCells<Value>

    @inlinable var capacity: Int { cells.capacity }

    init(minimumCapacity: Int, startSequence: UInt64) {
        var capacity = 16
        while capacity < minimumCapacity { capacity <<= 1 }
        self.startSequence = startSequence
        let cellSize = RingCells<Value>.payloadOffset + MemoryLayout<RingPayload<Value>?>.stride
        let cellStride = (cellSize + 63) & ~63
        let base = UnsafeMutableRawPointer.allocate(byteCount: capacity * cellStride, alignment: 64)
        for index in 0..<capacity {
            let cell = base + index * cellStride
            cell.bindMemory(to: SlotControl.self, capacity: 1).initialize(to: SlotControl())
            (cell + RingCells<Value>.payloadOffset).bindMemory(to: RingPayload<Value>?.self, capacity: 1).initialize(to: nil)
        }
        cells = RingCells(base: base, capacity: capacity, cellStride: cellStride)
    }

    deinit {
        for index in 0..<cells.capacity {
            let cell = cells.base + index * cells.cellStride
            cell.assumingMemoryBound(to: SlotControl.self).deinitialize(count: 1)
            (cell + RingCells<Value>.payloadOffset).assumingMemoryBound(to: RingPayload<Value>?.self).deinitialize(count: 1)
        }
        cells.base.deallocate()
    }
}

/// The cells of a ``BroadcastRing``: one allocation of `capacity` cells, each `cellStride` bytes
/// on its own cache lines: the ``SlotControl`` at offset 0, the payload at ``payloadOffset``.
/// A writer and a reader of neighbouring sequence numbers therefore never contend for the same
/// line, and an event costs one line transfer when the payload is small.
///
/// A plain view (pointer and geometry); valid while its ring is alive — holders keep the ring.
@usableFromInline
struct RingCells<Value: Sendable>: @unchecked Sendable {
    // @unchecked: see `BroadcastRing`; every access goes through the per-slot handshake.
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let capacity: Int
    @usableFromInline let mask: UInt64
    @usableFromInline let cellStride: Int
    @usableFromInline static var payloadOffset: Int { MemoryLayout<SlotControl>.stride }

    init(base: UnsafeMutableRawPointer, capacity: Int, cellStride: Int) {
        self.base = base
        self.capacity = capacity
        self.mask = UInt64(capacity - 1)
        self.cellStride = cellStride
    }

    /// The handshake state of the cell holding `sequence`.
    @inlinable @inline(__always)
    func control(_ sequence: UInt64) -> UnsafeMutablePointer<SlotControl> {
        (base + Int(truncatingIfNeeded: sequence & mask) &* cellStride).assumingMemoryBound(to: SlotControl.self)
    }

    /// The payload of the cell holding `sequence`; accessed only under the cell's handshake.
    @inlinable @inline(__always)
    func payload(_ sequence: UInt64) -> UnsafeMutablePointer<RingPayload<Value>?> {
        (base + Int(truncatingIfNeeded: sequence & mask) &* cellStride + Self.payloadOffset)
            .assumingMemoryBound(to: RingPayload<Value>?.self)
    }

    /// Stores `payload` as event `sequence`. Called by the writer that claimed `sequence`.
    /// `payload` is consumed — moved into the cell, not copied a second time.
    @inlinable
    func publish(_ sequence: UInt64, _ payload: consuming RingPayload<Value>) {
        let control = control(sequence)
        let stamp = sequence &+ 1
        // Own the slot. Another writer may hold it (a lapping sequence number whose writer was
        // faster); if a newer event already landed, ours is obsolete: readers of it are lapped.
        while true {
            let current = control.pointee.stamp.load(ordering: .relaxed)
            if current == SlotControl.busy {
                Self.yieldProcessor()
                continue
            }
            if current > stamp { return }
            if control.pointee.stamp.compareExchange(
                expected: current, desired: SlotControl.busy, ordering: .sequentiallyConsistent
            ).exchanged {
                break
            }
        }
        let block = blockControl(sequence)
        while block.pointee.readers.load(ordering: .sequentiallyConsistent) != 0 {
            Self.yieldProcessor()
        }
        let cellPayload = self.payload(sequence)
        let previous = cellPayload.pointee.take()
        cellPayload.pointee = consume payload
        control.pointee.stamp.store(stamp, ordering: .sequentiallyConsistent)
        // Release the overwritten payload only after the slot is open again: a value's deinit
        // is user code and must not run while readers spin on this slot.
        withExtendedLifetime(previous) {}
    }

    /// Lets another thread run while a slot is owned by someone else (rare and brief).
    @usableFromInline
    static func yieldProcessor() {
        sched_yield()
    }

    /// Cells are pinned by readers a block at a time: one `readers` counter (the block's first
    /// cell's) covers ``blockSize`` consecutive cells, so a consumer pays two atomic operations
    /// per batch instead of per event. A writer overwriting any cell of a pinned block waits for
    /// the copy in progress — which only happens when it laps a reader that is about to overflow.
    @inlinable static var blockSize: UInt64 { 16 }

    /// The cell whose `readers` counter pins the block holding `sequence`.
    @inlinable @inline(__always)
    func blockControl(_ sequence: UInt64) -> UnsafeMutablePointer<SlotControl> {
        control(sequence & ~(Self.blockSize &- 1))
    }

    /// Copies the consecutive published events from `sequence` up to the end of its block (at
    /// most `limit`) into `batch`, which must be empty and hold `limit` payloads. Lock-free; never
    /// blocks a writer for longer than the copy.
    /// Returns how the batch ended: `.copied` when at least one event was copied and the next one
    /// should be tried, `.notYet` or `.overrun` when the first cell was not readable.
    @inlinable
    func readBatch(from sequence: UInt64, limit: Int, into batch: PayloadBatch<Value>) -> RingBatchEnd {
        let block = blockControl(sequence)
        let blockEnd = (sequence | (Self.blockSize &- 1)) &+ 1
        let end = min(blockEnd, sequence &+ UInt64(limit))
        block.pointee.readers.wrappingAdd(1, ordering: .sequentiallyConsistent)
        var current = sequence
        var outcome = RingBatchEnd.copied
        while current < end {
            let stamp = control(current).pointee.stamp.load(ordering: .sequentiallyConsistent)
            if stamp == current &+ 1, let payload = payload(current).pointee {
                batch.append(payload)
                current &+= 1
                continue
            }
            if current == sequence {
                outcome = stamp != SlotControl.busy && stamp > current &+ 1 ? .overrun : .notYet
            }
            break
        }
        block.pointee.readers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        return outcome
    }

    /// Whether reading `sequence` would return something other than ``RingBatchEnd/notYet``.
    /// Sequentially consistent, so it pairs with a writer's stamp store (see ``WatchHub``).
    @inlinable
    func isSettled(_ sequence: UInt64) -> Bool {
        let stamp = control(sequence).pointee.stamp.load(ordering: .sequentiallyConsistent)
        return stamp != SlotControl.busy && stamp >= sequence &+ 1
    }
}
