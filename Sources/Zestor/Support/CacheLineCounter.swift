public import Synchronization

/// An atomic counter alone on its cache line (two lines, to defeat adjacent-line prefetch).
///
/// A counter that one thread updates constantly must not share its line with fields other
/// threads read, or every read costs the writer a cache-line transfer. Allocated once; freed by
/// ``deallocate()`` from the owner's `deinit`.
///
/// Why manual memory is safe here: the counter is a value holding a raw pointer, so it has no
/// lifetime of its own. Its one owner (``WatchHub``) stores it in a `let`, hands out no copy
/// that outlives itself (every use is `headCounter.atomic…` on the hub, while the caller holds
/// the hub), and calls ``deallocate()`` exactly once, in its `deinit` — when no thread can reach
/// the hub any more, hence none can reach the counter.
@usableFromInline
struct CacheLineCounter: @unchecked Sendable {
    // @unchecked: the pointee is an `Atomic`, accessed only through its atomic operations.
    @usableFromInline let pointer: UnsafeMutablePointer<Atomic<UInt64>>

    init(_ initialValue: UInt64) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 128)
        pointer = raw.bindMemory(to: Atomic<UInt64>.self, capacity: 1)
        pointer.initialize(to: Atomic(initialValue))
    }

    /// Frees the counter. Call once, from the owner's `deinit` (see above).
    func deallocate() {
        pointer.deinitialize(count: 1)
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    @inlinable @inline(__always)
    var atomic: UnsafeMutablePointer<Atomic<UInt64>> { pointer }
}
