public import Synchronization

/// The memory of a ``KindCache``'s nodes: `capacity` nodes (all initialized; id 0 unused), one
/// deadline and one access mark per node, and the heads of the two eviction queues, at fixed
/// addresses. A deadline is monotonic nanoseconds (``ExpiryClock/monotonicNanoseconds``); 0:
/// never.
///
/// Fixed addresses are what let a reader record a hit while holding its shard's lock only
/// shared: it stores into `marks` atomically and never touches a copy-on-write buffer.
/// Invariant: nodes and queues are written only under the owning shard's exclusive lock, except
/// by LRU hits, which relink them holding ``KindCache/lruLock`` as well as the shared lock (and
/// every LRU relink holds that mutex). The storage is replaced by a larger one (``grown(to:)``)
/// only under the exclusive lock.
@usableFromInline
final class CacheNodeStorage: @unchecked Sendable {
    // @unchecked: the pointers are immutable; the memory they point to is guarded as stated above.
    @usableFromInline let nodes: UnsafeMutablePointer<CacheNode>
    @usableFromInline let deadlines: UnsafeMutablePointer<Int64>
    @usableFromInline let marks: UnsafeMutablePointer<Atomic<UInt8>>
    @usableFromInline let queues: UnsafeMutablePointer<NodeQueue>
    @usableFromInline let capacity: Int

    @usableFromInline
    init(capacity: Int) {
        self.capacity = capacity
        nodes = .allocate(capacity: capacity)
        nodes.initialize(repeating: .free, count: capacity)
        deadlines = .allocate(capacity: capacity)
        deadlines.initialize(repeating: 0, count: capacity)
        marks = .allocate(capacity: capacity)
        for index in 0..<capacity { (marks + index).initialize(to: Atomic(0)) }
        queues = .allocate(capacity: 2)
        queues.initialize(repeating: NodeQueue(), count: 2)
    }

    deinit {
        nodes.deinitialize(count: capacity)
        nodes.deallocate()
        deadlines.deallocate()
        marks.deinitialize(count: capacity)
        marks.deallocate()
        queues.deinitialize(count: 2)
        queues.deallocate()
    }

    /// A copy with room for `capacity` nodes (more than this one's). Caller holds the shard's
    /// lock exclusively.
    @inlinable
    func grown(to capacity: Int) -> CacheNodeStorage {
        let larger = CacheNodeStorage(capacity: capacity)
        larger.nodes.update(from: nodes, count: self.capacity)
        larger.deadlines.update(from: deadlines, count: self.capacity)
        for index in 0..<self.capacity {
            larger.marks[index].store(marks[index].load(ordering: .relaxed), ordering: .relaxed)
        }
        larger.queues.update(from: queues, count: 2)
        return larger
    }

    @inlinable @inline(__always)
    func queue(_ id: EvictionQueueID) -> UnsafeMutablePointer<NodeQueue> {
        queues + Int(id.rawValue)
    }
}
