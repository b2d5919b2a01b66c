/// The ghost queue of S3-FIFO: the hashes of the last `capacity` keys evicted from the small
/// queue, without their values. A key inserted again while its hash is here goes straight to the
/// main queue. Guarded by the owning shard's exclusive lock.
///
/// A ring of hashes plus, for each hash present, the number of the insertion that put it there:
/// the ring slot an insertion overwrites forgets its hash only if no later insertion of the same
/// hash happened, and a hit forgets the hash at once. A hash collision between two keys can
/// only send a new key to the main queue early; it never affects correctness.
@usableFromInline
struct GhostQueue {
    @usableFromInline var ring: ContiguousArray<Int>
    @usableFromInline var insertions: [Int: Int] = [:]
    @usableFromInline var inserted = 0

    @usableFromInline
    init(capacity: Int) {
        ring = ContiguousArray(repeating: 0, count: max(capacity, 0))
    }

    /// Remembers `hash`, forgetting the oldest one when full.
    @inlinable
    mutating func insert(_ hash: Int) {
        guard !ring.isEmpty else { return }
        let position = inserted % ring.count
        if inserted >= ring.count {
            let oldest = ring[position]
            if insertions[oldest] == inserted - ring.count { insertions[oldest] = nil }
        }
        ring[position] = hash
        insertions[hash] = inserted
        inserted += 1
    }

    /// Whether `hash` was remembered; forgets it.
    @inlinable
    mutating func remove(_ hash: Int) -> Bool {
        insertions.removeValue(forKey: hash) != nil
    }
}
