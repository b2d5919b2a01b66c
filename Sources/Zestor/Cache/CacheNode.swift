/// The cache bookkeeping of one entry of a cache kind (``KindCache``): its key, its place in an
/// eviction queue and in the expiry heap. (Its deadline and its mark are kept apart, in
/// ``CacheNodeStorage``'s compact arrays, so a read touches 9 bytes, not a whole node.)
///
/// Node ids are indices into a ``CacheNodeStorage``; id 0 is never used, so an entry slot's
/// ``EntrySlot/node`` of 0 means "no node". Links are ids (0 = none).
@usableFromInline
struct CacheNode {
    /// The entry's key (the empty key while the node is free).
    @usableFromInline var key: EntryKey
    /// The neighbour toward the front (newer end) of the node's queue.
    @usableFromInline var previous: UInt32
    /// The neighbour toward the back (older end) of the node's queue; the next free node while free.
    @usableFromInline var next: UInt32
    /// The node's position in the expiry heap, or -1 when it is not scheduled.
    @usableFromInline var heapIndex: Int32
    /// The queue holding the node (``EvictionQueueID``), or nil.
    @usableFromInline var queue: EvictionQueueID?

    @inlinable
    init(key: EntryKey, previous: UInt32, next: UInt32, heapIndex: Int32, queue: EvictionQueueID?) {
        self.key = key
        self.previous = previous
        self.next = next
        self.heapIndex = heapIndex
        self.queue = queue
    }

    @inlinable
    static var free: CacheNode {
        CacheNode(key: EntryKey(key: "", hash: 0), previous: 0, next: 0, heapIndex: -1, queue: nil)
    }
}

/// The queues of an eviction policy: S3-FIFO uses both, SIEVE and LRU only ``main``.
@usableFromInline
enum EvictionQueueID: UInt8 {
    case small = 0
    case main = 1
}

/// Both ends and the length of one queue of nodes. The front is the newest end.
@usableFromInline
struct NodeQueue {
    @usableFromInline var front: UInt32 = 0
    @usableFromInline var back: UInt32 = 0
    @usableFromInline var count: Int = 0

    @inlinable
    init() {}
}
