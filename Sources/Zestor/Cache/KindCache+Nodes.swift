public import Synchronization

/// Node allocation and queue links. Caller holds the owning shard's lock exclusively (LRU hits:
/// shared plus ``KindCache/lruLock``, for ``moveToFront(_:)`` only).
extension KindCache {
    /// A fresh node for `key` expiring at `deadline` (0: never), scheduled when it expires and
    /// in no queue yet.
    @inlinable
    func allocateNode(for key: EntryKey, deadline: Int64) -> UInt32 {
        let id: UInt32
        if freeList != 0 {
            id = freeList
            freeList = storage.nodes[Int(id)].next
        } else {
            if Int(nextUnused) == storage.capacity { storage = storage.grown(to: storage.capacity * 2) }
            id = nextUnused
            nextUnused += 1
        }
        storage.nodes[Int(id)] = CacheNode(key: key, previous: 0, next: 0, heapIndex: -1, queue: nil)
        storage.deadlines[Int(id)] = 0
        storage.marks[Int(id)].store(0, ordering: .relaxed)
        if deadline != 0 { setDeadline(of: id, to: deadline) }
        return id
    }

    /// Takes node `id` out of its queue and the heap and frees it.
    @inlinable
    func releaseNode(_ id: UInt32) {
        if storage.nodes[Int(id)].queue != nil { unlink(id) }
        if storage.nodes[Int(id)].heapIndex >= 0 { unschedule(id) }
        storage.nodes[Int(id)] = .free
        storage.deadlines[Int(id)] = 0
        storage.nodes[Int(id)].next = freeList
        freeList = id
    }

    /// Puts node `id` (in no queue) at the front of `queue`.
    @inlinable
    func pushFront(_ id: UInt32, _ queue: EvictionQueueID) {
        let nodes = storage.nodes
        let anchors = storage.queue(queue)
        nodes[Int(id)].queue = queue
        nodes[Int(id)].previous = 0
        nodes[Int(id)].next = anchors.pointee.front
        if anchors.pointee.front != 0 { nodes[Int(anchors.pointee.front)].previous = id }
        anchors.pointee.front = id
        if anchors.pointee.back == 0 { anchors.pointee.back = id }
        anchors.pointee.count += 1
    }

    /// Takes node `id` out of its queue (SIEVE's hand moves on if it pointed at it).
    @inlinable
    func unlink(_ id: UInt32) {
        if hand == id { hand = storage.nodes[Int(id)].previous }
        unlinkKeepingHand(id)
    }

    /// Takes node `id` out of its queue; does not touch the hand.
    @inlinable
    func unlinkKeepingHand(_ id: UInt32) {
        let nodes = storage.nodes
        guard let queue = nodes[Int(id)].queue else { return }
        let anchors = storage.queue(queue)
        let previous = nodes[Int(id)].previous, next = nodes[Int(id)].next
        if previous != 0 { nodes[Int(previous)].next = next } else { anchors.pointee.front = next }
        if next != 0 { nodes[Int(next)].previous = previous } else { anchors.pointee.back = previous }
        nodes[Int(id)].previous = 0
        nodes[Int(id)].next = 0
        nodes[Int(id)].queue = nil
        anchors.pointee.count -= 1
    }

    /// Moves node `id` to the front of its own queue.
    @inlinable
    func moveToFront(_ id: UInt32) {
        guard let queue = storage.nodes[Int(id)].queue, storage.queue(queue).pointee.front != id else { return }
        unlinkKeepingHand(id)
        pushFront(id, queue)
    }

    /// The length of `queue`.
    @inlinable
    func count(of queue: EvictionQueueID) -> Int { storage.queue(queue).pointee.count }
}
