public import Synchronization

/// The eviction policies (``EvictionPolicy``): where a new entry enters, what a hit records, and
/// which entry an insertion into a full share evicts.
///
/// `marks` hold what hits record: S3-FIFO a frequency saturating at 3, SIEVE a visited bit. LRU
/// keeps no mark: a hit moves the node to the front.
extension KindCache {
    /// The S3-FIFO frequency above which a node leaving the small queue moves to the main queue.
    @inlinable
    static var promotionThreshold: UInt8 { 0 }

    /// Puts a new node into its policy's queue (S3-FIFO: the main queue if its key is in the
    /// ghost queue, or while the share is filling up and the small queue already holds its own
    /// share; the small one otherwise). Exclusive lock; `filling` tells whether the share had
    /// room for this entry without an eviction.
    @inlinable
    func admit(_ id: UInt32, filling: Bool) {
        switch policy {
        case .s3fifo:
            let returning = ghost.remove(storage.nodes[Int(id)].key.hash)
            pushFront(id, returning || (filling && count(of: .small) >= smallShare) ? .main : .small)
        case .sieve, .lru:
            pushFront(id, .main)
        case nil:
            break
        }
    }

    /// Records a hit on node `id`. Needs the shard's lock only shared: a relaxed atomic store
    /// (S3-FIFO, SIEVE; none at all when the mark is already at its top), or a relink under
    /// ``lruLock`` (LRU).
    @inlinable @inline(__always)
    func recordAccess(_ id: UInt32) {
        switch policy {
        case .s3fifo:
            let mark = storage.marks[Int(id)].load(ordering: .relaxed)
            // Frequencies saturate at 3 (two bits).
            if mark < 3 { storage.marks[Int(id)].store(mark &+ 1, ordering: .relaxed) }
        case .sieve:
            if storage.marks[Int(id)].load(ordering: .relaxed) == 0 {
                storage.marks[Int(id)].store(1, ordering: .relaxed)
            }
        case .lru:
            recordLRUAccess(id)
        case nil:
            break
        }
    }

    @inlinable
    func recordLRUAccess(_ id: UInt32) {
        lruLock.unsafelyUnwrapped.withLock { moveToFront(id) }
    }

    /// Chooses the node an insertion into a full share evicts and takes it out of its queue
    /// (its entry and the node are then removed by the caller). Exclusive lock; the share is not
    /// empty.
    @inlinable
    func chooseVictim() -> UInt32 {
        switch policy {
        case .s3fifo: return chooseS3FIFOVictim()
        case .sieve: return chooseSIEVEVictim()
        case .lru, nil:
            let victim = storage.queue(.main).pointee.back
            unlink(victim)
            return victim
        }
    }

    /// S3-FIFO: evict from the small queue while it holds its share (or the main queue is
    /// empty), else from the main one. A small-queue node read since it entered moves to the
    /// main queue; one never read leaves, remembered in the ghost queue. A main-queue node with
    /// a frequency above 0 goes back to the front with it lowered by one.
    @inlinable
    func chooseS3FIFOVictim() -> UInt32 {
        while true {
            if count(of: .small) >= smallShare || count(of: .main) == 0 {
                let id = storage.queue(.small).pointee.back
                let frequency = storage.marks[Int(id)].load(ordering: .relaxed)
                unlink(id)
                if frequency > Self.promotionThreshold {
                    storage.marks[Int(id)].store(0, ordering: .relaxed)
                    pushFront(id, .main)
                    continue
                }
                ghost.insert(storage.nodes[Int(id)].key.hash)
                return id
            }
            let id = storage.queue(.main).pointee.back
            let frequency = storage.marks[Int(id)].load(ordering: .relaxed)
            unlink(id)
            if frequency > 0 {
                storage.marks[Int(id)].store(frequency - 1, ordering: .relaxed)
                pushFront(id, .main)
                continue
            }
            return id
        }
    }

    /// SIEVE: the hand walks from the back toward the front (wrapping around), clearing visited
    /// bits, and evicts the first unvisited node; it stays where the victim was.
    @inlinable
    func chooseSIEVEVictim() -> UInt32 {
        var id = hand != 0 ? hand : storage.queue(.main).pointee.back
        while storage.marks[Int(id)].load(ordering: .relaxed) != 0 {
            storage.marks[Int(id)].store(0, ordering: .relaxed)
            let previous = storage.nodes[Int(id)].previous
            id = previous != 0 ? previous : storage.queue(.main).pointee.back
        }
        hand = storage.nodes[Int(id)].previous
        unlinkKeepingHand(id)
        return id
    }
}
