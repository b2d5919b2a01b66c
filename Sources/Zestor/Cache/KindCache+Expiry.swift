/// The expiry heap: the nodes that have a deadline, as a binary min-heap on it, each knowing its
/// position (``CacheNode/heapIndex``). Writes hold the owning shard's lock exclusively; the
/// read-only walks (``forEachExpired(at:_:)``) run under the shared lock.
extension KindCache {
    /// Gives node `id` the deadline `deadline` (0: never), scheduling, moving or unscheduling it.
    @inlinable
    func setDeadline(of id: UInt32, to deadline: Int64) {
        let old = storage.deadlines[Int(id)]
        storage.deadlines[Int(id)] = deadline
        let position = Int(storage.nodes[Int(id)].heapIndex)
        if deadline == 0 {
            if position >= 0 { unschedule(id) }
        } else if position < 0 {
            heap.append(id)
            storage.nodes[Int(id)].heapIndex = Int32(heap.count - 1)
            siftUp(heap.count - 1)
        } else if deadline < old {
            siftUp(position)
        } else {
            siftDown(position)
        }
    }

    /// Takes node `id` out of the heap (its deadline is left as it is).
    @inlinable
    func unschedule(_ id: UInt32) {
        let position = Int(storage.nodes[Int(id)].heapIndex)
        storage.nodes[Int(id)].heapIndex = -1
        let last = heap.removeLast()
        guard position < heap.count else { return }
        heap[position] = last
        storage.nodes[Int(last)].heapIndex = Int32(position)
        siftDown(position)
        siftUp(position)
    }

    /// The node that expires first, if it has expired at `now`.
    @inlinable
    func firstExpired(at now: Int64) -> UInt32? {
        guard let first = heap.first, storage.deadlines[Int(first)] <= now else { return nil }
        return first
    }

    /// Calls `body` with every node expired at `now`, in no particular order, visiting only them
    /// (and their children in the heap): O(expired).
    @inlinable
    func forEachExpired(at now: Int64, _ body: (UInt32) -> Void) {
        guard let first = heap.first, storage.deadlines[Int(first)] <= now else { return }
        var pending = [0]
        while let position = pending.popLast() {
            body(heap[position])
            for child in [2 * position + 1, 2 * position + 2]
            where child < heap.count && storage.deadlines[Int(heap[child])] <= now {
                pending.append(child)
            }
        }
    }

    /// The number of nodes expired at `now`: O(expired).
    @inlinable
    func expiredCount(at now: Int64) -> Int {
        var count = 0
        forEachExpired(at: now) { _ in count += 1 }
        return count
    }

    @inlinable
    func siftUp(_ start: Int) {
        var position = start
        let id = heap[position]
        let deadline = storage.deadlines[Int(id)]
        while position > 0 {
            let parent = (position - 1) / 2
            guard storage.deadlines[Int(heap[parent])] > deadline else { break }
            place(heap[parent], at: position)
            position = parent
        }
        place(id, at: position)
    }

    @inlinable
    func siftDown(_ start: Int) {
        var position = start
        let id = heap[position]
        let deadline = storage.deadlines[Int(id)]
        while true {
            var smallest = position, smallestDeadline = deadline
            for child in [2 * position + 1, 2 * position + 2] where child < heap.count {
                let childDeadline = storage.deadlines[Int(heap[child])]
                if childDeadline < smallestDeadline { smallest = child; smallestDeadline = childDeadline }
            }
            guard smallest != position else { break }
            place(heap[smallest], at: position)
            position = smallest
        }
        place(id, at: position)
    }

    @inlinable
    func place(_ id: UInt32, at position: Int) {
        heap[position] = id
        storage.nodes[Int(id)].heapIndex = Int32(position)
    }
}
