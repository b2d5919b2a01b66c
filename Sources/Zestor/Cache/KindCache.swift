/// The cache state of one kind in one shard: the per-shard share of its capacity with the
/// eviction policy's queues, the expiry heap, the loads in flight and the statistics. Stored in
/// ``KindTable/cache``; nil for kinds that are not caches, which therefore pay one `nil` check
/// per operation and nothing else.
///
/// Invariants, all under the owning shard's lock:
/// - in a bounded kind (``policy`` non-nil) every entry has a node; in an unbounded one exactly
///   the entries that expire have one. An entry's node id is kept in its slot
///   (``EntrySlot/node``) and the node keeps the entry's key;
/// - a node with a deadline is in the heap (`heapIndex` ≥ 0), and only those;
/// - a bounded kind's shard holds at most ``share`` entries;
/// - everything but `marks`, the counters and (for LRU) the queues is written only under the
///   exclusive lock (see ``CacheNodeStorage``).
///
/// A class, so that a ``KindTable`` stays four words and a read reaches the state in place
/// (without copying it out of the table). Its variables are `@exclusivity(unchecked)`: the
/// shard's lock already gives the exclusivity the run-time checks would verify, and the checks
/// would cost each access about 40 instructions.
@usableFromInline
final class KindCache<Value: Sendable>: @unchecked Sendable {
    // @unchecked: every variable is guarded by the owning shard's lock as stated above; the
    // constants and the atomics need no guard.
    /// The eviction policy of a bounded kind; nil when unbounded.
    @usableFromInline let policy: EvictionPolicy?
    /// The most entries this shard may hold (`Int.max` when unbounded).
    @usableFromInline let share: Int
    /// S3-FIFO: the length the small queue may reach before it is evicted from first.
    @usableFromInline let smallShare: Int
    /// The kind's default time to live in nanoseconds; 0 when it has none.
    @usableFromInline let defaultTimeToLive: Int64
    @usableFromInline let clock: any ExpiryClock
    @usableFromInline let counters = CacheCounters()
    /// Serializes LRU hits, which relink nodes under the shared lock. Nil for other policies.
    @usableFromInline let lruLock: ThreadLock?
    /// Told of each expiration and eviction (a durable store persists them); nil in a
    /// `MemoryStore` of its own.
    @usableFromInline let removals: CacheRemovalSink?

    @usableFromInline @exclusivity(unchecked) var storage: CacheNodeStorage
    /// The first free node (0: none); free nodes are chained through `next`.
    @usableFromInline @exclusivity(unchecked) var freeList: UInt32 = 0
    /// The lowest id never handed out.
    @usableFromInline @exclusivity(unchecked) var nextUnused: UInt32 = 1
    /// Node ids ordered by deadline (a binary min-heap).
    @usableFromInline @exclusivity(unchecked) var heap: ContiguousArray<UInt32> = []
    @usableFromInline @exclusivity(unchecked) var ghost: GhostQueue
    /// SIEVE's hand: the next node to examine (0: start from the back).
    @usableFromInline @exclusivity(unchecked) var hand: UInt32 = 0
    /// The loads of `get(_:_:orLoad:)` in flight, by key. A write to a key removes its load, so
    /// the load's result is not stored over it.
    @usableFromInline @exclusivity(unchecked) var loads: [EntryKey: InFlightLoad<Value>] = [:]
    /// Keys whose last load found nothing, with the deadline until which that answer stands
    /// (``CacheOptions/negativeTimeToLive``). A write to a key removes it.
    @usableFromInline @exclusivity(unchecked) var absent: [EntryKey: Int64] = [:]
    /// How long a `nil` load is remembered, in nanoseconds; 0: not at all.
    @usableFromInline let negativeTimeToLive: Int64

    /// The cache state of a kind configured with `options`, in a shard whose share of the
    /// capacity is `share`; `removals` hears of its expirations and evictions.
    @usableFromInline
    init(options: CacheOptions, share: Int, clock: any ExpiryClock, removals: CacheRemovalSink?) {
        policy = options.capacity == nil ? nil : options.eviction
        self.share = options.capacity == nil ? .max : share
        smallShare = max(1, share / 10)
        defaultTimeToLive = options.timeToLive.map { Int64($0.inNanoseconds) } ?? 0
        negativeTimeToLive = options.negativeTimeToLive.map { Int64($0.inNanoseconds) } ?? 0
        self.clock = clock
        self.removals = removals
        lruLock = options.capacity != nil && options.eviction == .lru ? ThreadLock() : nil
        storage = CacheNodeStorage(capacity: options.capacity == nil ? 16 : min(share + 1, 1024))
        ghost = GhostQueue(capacity: options.capacity != nil && options.eviction == .s3fifo ? share - smallShare : 0)
    }

    /// Whether the shard's share is full, so that an insertion must evict first.
    @inlinable
    func isFull(entryCount: Int) -> Bool { entryCount >= share }

    /// The key of node `id`.
    @inlinable
    func key(of id: UInt32) -> EntryKey { storage.nodes[Int(id)].key }

    /// The deadline of node `id` (0: never).
    @inlinable
    func deadline(of id: UInt32) -> Int64 { storage.deadlines[Int(id)] }
}
