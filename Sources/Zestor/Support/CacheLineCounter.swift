public import Synchronization

/// An atomic counter alone on its cache line (two lines, to defeat adjacent-line prefetch).
///
/// A counter that one thread updates constantly must not share its line with fields other
/// threads read, or every read costs the writer a cache-line transfer. Allocated once; freed by
/// ``deallocate()`` from the owner's `deinit`.
@usableFromInline
struct CacheLineCounter: @unchecked Sendable {
    // @unchecked: the pointee is an `Atomic`, accessed only through its atomic operations.
    @usableFromInline let pointer: UnsafeMutablePointer<Atomic<UInt64>>

    init(_ initialValue: UInt64) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 128)
        pointer = raw.bindMemory(to: Atomic<UInt64>.self, capacity: 1)
        pointer.initialize(to: Atomic(initialValue))
    }

    /// Frees the counter. Call once, when nothing can use it any more.
    func deallocate() {
        pointer.deinitialize(count: 1)
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    @inlinable @inline(__always)
    var atomic: UnsafeMutablePointer<Atomic<UInt64>> { pointer }
}
