/// The positions of the live payloads in a ``PayloadBatch``: `start..<end`.
@usableFromInline
struct PayloadBatchHeader {
    @usableFromInline var start = 0
    @usableFromInline var end = 0

    @inlinable init() {}
}

/// The events one consumer copied from the ring in its last batch read and has not delivered
/// yet: a fixed buffer of ``RingCells/blockSize`` payloads, live in `header.start..<header.end`.
///
/// Delivering an event *moves* its payload out (``take()``), so an event costs one copy — ring
/// to batch, which must leave the ring's own copy in place — instead of a copy in, a copy out and
/// a destroy per batch. Owned by exactly one ``RingCursor``, whose consuming task is the only one
/// to touch it; the header is reached through a pointer, so the hot path makes no exclusivity
/// check.
@usableFromInline
final class PayloadBatch<Value: Sendable>: ManagedBuffer<PayloadBatchHeader, RingPayload<Value>> {
    /// A batch holding up to ``RingCells/blockSize`` payloads.
    @usableFromInline
    static func make() -> PayloadBatch<Value> {
        let buffer = create(minimumCapacity: Int(RingCells<Value>.blockSize)) { _ in PayloadBatchHeader() }
        return unsafeDowncast(buffer, to: PayloadBatch<Value>.self)
    }

    deinit {
        _ = withUnsafeMutablePointers { header, elements in
            (elements + header.pointee.start).deinitialize(count: header.pointee.end - header.pointee.start)
        }
    }

    /// Whether every payload was taken.
    @inlinable
    var isEmpty: Bool {
        withUnsafeMutablePointerToHeader { $0.pointee.start == $0.pointee.end }
    }

    /// The number of payloads taken so far from the current batch.
    @inlinable
    var taken: Int {
        withUnsafeMutablePointerToHeader { $0.pointee.start }
    }

    /// Moves the next payload out. The batch must not be empty.
    @inlinable @inline(__always)
    func take() -> RingPayload<Value> {
        withUnsafeMutablePointers { header, elements in
            let index = header.pointee.start
            header.pointee.start = index &+ 1
            return (elements + index).move()
        }
    }

    /// Drops the payloads not taken and starts an empty batch.
    @inlinable
    func reset() {
        withUnsafeMutablePointers { header, elements in
            (elements + header.pointee.start).deinitialize(count: header.pointee.end - header.pointee.start)
            header.pointee = PayloadBatchHeader()
        }
    }

    /// Appends a copy of `payload`. Called by ``RingCells/readBatch(from:limit:into:)`` after
    /// ``reset()``, at most ``RingCells/blockSize`` times.
    @inlinable @inline(__always)
    func append(_ payload: RingPayload<Value>) {
        withUnsafeMutablePointers { header, elements in
            (elements + header.pointee.end).initialize(to: payload)
            header.pointee.end &+= 1
        }
    }

    /// The number of payloads appended since the last ``reset()``.
    @inlinable
    var count: Int {
        withUnsafeMutablePointerToHeader { $0.pointee.end }
    }
}
