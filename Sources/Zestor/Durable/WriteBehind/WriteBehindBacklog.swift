/// The writes a write-behind queue holds until they are durable: the newest state of each
/// pending key, coalesced, and the batch in flight. Not synchronized: ``WriteBehindQueue`` keeps
/// it under its `state` lock.
///
/// Ordering invariant: every write gets the next ticket when recorded; `order[orderHead...]` is
/// ascending by ticket and holds an entry for every pending write (plus stale entries: keys
/// written again or taken since); every in-flight ticket is below every pending one (batches
/// are taken from the front of `order`, later records get larger tickets, and a failed batch
/// goes back to the front). So the oldest write not yet durable is the oldest in flight, else
/// the first live entry of `order`: found in amortized O(1), since each stale entry is skipped
/// once.
struct WriteBehindBacklog<Value: Sendable>: Sendable {
    typealias Key = KeyGate.Key

    /// What a pending write does to its key's stored row.
    enum Change: Sendable {
        /// Store this value (at the write's version and expiry instant).
        case upsert(Value)
        /// Remove the row: a `delete`.
        case delete
        /// Remove the row unless it is newer than the write's version: the cache expired or
        /// evicted the entry at that version (``CacheRemovalSink``).
        case cacheRemoval
        /// Give the row at the write's version the write's expiry instant (`setExpiration`).
        case expiryOnly
    }

    /// The newest state of one pending key.
    struct PendingWrite: Sendable {
        let change: Change
        let version: UInt64
        /// The expiry instant of an upsert or an expiry change (``PersistedRow/expiresAt``).
        let expiresAt: Int64?
        let ticket: UInt64
        /// The key was deleted before this write (a delete this write coalesced away): the stored
        /// row must be removed first, since a re-created key starts again at version 1 and an
        /// upsert alone would not replace a row with a higher version.
        var afterDelete = false

        /// Whether committing this write removes the stored row whatever its version (a delete,
        /// or a write after one). A cache removal removes only its own version.
        var removesStoredRow: Bool {
            if case .delete = change { return true }
            return afterDelete
        }

        /// The version of the entry the cache removed, for a cache removal.
        var removedVersion: UInt64? {
            if case .cacheRemoval = change { return version }
            return nil
        }
    }

    /// One write of a batch: its key and state.
    typealias Item = (key: Key, write: PendingWrite)

    private(set) var pending: [Key: PendingWrite] = [:]
    /// Pending keys in ticket order (oldest first), for batches without sorting. An entry is
    /// stale when its key's pending ticket differs (the key was written again, or taken);
    /// stale entries are skipped and dropped as the front advances.
    private var order: [(key: Key, ticket: UInt64)] = []
    private var orderHead = 0
    /// The number of writes of the batch being committed and the smallest ticket among them
    /// (nil: none).
    private var inFlightCount = 0
    private var oldestInFlight: UInt64?
    /// The cache removals of the batch being committed, by key (keys are distinct within a
    /// batch) — and its other writes too when ``tracksWritesInFlight``.
    private var inFlight: [Key: PendingWrite] = [:]
    /// Whether ``outstandingWrite(of:)`` must see every write in flight, not only cache removals:
    /// for a store with a change feed, which skips the changes such a write will land on top of.
    /// Off otherwise, sparing the flusher a dictionary insert per write under the queue's lock.
    var tracksWritesInFlight = false
    private var nextTicket: UInt64 = 1

    /// Keys pending or in flight.
    var outstanding: Int { pending.count + inFlightCount }

    /// The ticket of the last write recorded (0: none yet).
    var lastTicket: UInt64 { nextTicket &- 1 }

    /// Records the newest state of `key` — `change` at `version`, expiring at `expiresAt` —
    /// coalescing with the pending one. Returns false when it records nothing: an upsert or an
    /// expiry change whose version a pending cache removal of the key has reached was applied to
    /// memory before that removal (its recording lost the race with the removal, which the
    /// cache reports under the key's shard lock), so the removal stands.
    @discardableResult
    mutating func record(_ key: Key, _ change: Change, version: UInt64, expiresAt: Int64? = nil) -> Bool {
        let previous = pending[key]
        var change = change
        switch change {
        case .upsert, .expiryOnly:
            if let removed = previous?.removedVersion, removed >= version { return false }
            if case .expiryOnly = change, let previous, previous.version == version, case .upsert(let value) = previous.change {
                change = .upsert(value)  // the pending upsert of that version takes the new instant
            }
        case .delete, .cacheRemoval:
            break
        }
        var write = PendingWrite(change: change, version: version, expiresAt: expiresAt, ticket: nextTicket)
        write.afterDelete = previous?.removesStoredRow ?? false
        pending[key] = write
        order.append((key, write.ticket))
        nextTicket &+= 1
        return true
    }

    /// The write of `key` pending or in flight (not yet known to be durable), if any; of the
    /// writes in flight, only cache removals unless ``tracksWritesInFlight``.
    func outstandingWrite(of key: Key) -> PendingWrite? {
        pending[key] ?? inFlight[key]
    }

    /// Whether the only outstanding write of `key` is in flight (sent, its outcome not yet
    /// known): it may have committed before or after any change another store committed
    /// meanwhile. Needs ``tracksWritesInFlight`` for writes other than cache removals.
    func isOnlyInFlight(_ key: Key) -> Bool {
        pending[key] == nil && inFlight[key] != nil
    }

    /// The oldest ticket not yet durable, or nil when everything is (see the ordering
    /// invariant). Drops the stale entries it passes at the front of `order`.
    mutating func oldestOutstanding() -> UInt64? {
        if let oldestInFlight { return oldestInFlight }
        while orderHead < order.count {
            let (key, ticket) = order[orderHead]
            if pending[key]?.ticket == ticket { return ticket }
            orderHead += 1
        }
        return nil
    }

    /// Moves up to `limit` of the oldest pending writes in flight, in ticket order.
    mutating func takeOldest(_ limit: Int) -> [Item] {
        var batch: [Item] = []
        batch.reserveCapacity(min(limit, pending.count))
        while batch.count < limit && orderHead < order.count {
            let (key, ticket) = order[orderHead]
            orderHead += 1
            guard let write = pending[key], write.ticket == ticket else { continue }
            pending[key] = nil
            batch.append((key, write))
            if write.removedVersion != nil || tracksWritesInFlight { inFlight[key] = write }
        }
        inFlightCount = batch.count
        oldestInFlight = batch.first?.write.ticket
        if orderHead == order.count {
            order.removeAll(keepingCapacity: true)
            orderHead = 0
        } else if orderHead > Self.compactionThreshold && orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
        return batch
    }

    /// `order` drops the entries before its head once there are more than this many and they
    /// are more than half of it (amortized O(1) per write).
    static var compactionThreshold: Int { 4_096 }

    /// The batch in flight committed.
    mutating func committed() {
        inFlightCount = 0
        oldestInFlight = nil
        inFlight.removeAll(keepingCapacity: true)
    }

    /// Puts the writes of a failed batch (in ticket order) back in front of `order`: they
    /// are older than every entry there. Writes whose key was recorded again meanwhile stay
    /// superseded.
    mutating func returnToPending(_ batch: [Item]) {
        var returned: [(key: Key, ticket: UInt64)] = []
        for item in batch {
            guard let newer = pending[item.key] else {
                pending[item.key] = item.write
                returned.append((item.key, item.write.ticket))
                continue
            }
            if item.write.removesStoredRow {
                // The newer write was recorded while this delete was in flight; it failed, so
                // the newer one now has to remove the stored row itself.
                pending[item.key]!.afterDelete = true
            }
            if case .expiryOnly = newer.change, case .upsert(let value) = item.write.change,
               newer.version == item.write.version {
                // Only the expiry of this failed upsert's version changed since: it still has to
                // be stored, with the newer instant.
                pending[item.key] = PendingWrite(change: .upsert(value), version: newer.version,
                                                 expiresAt: newer.expiresAt, ticket: newer.ticket,
                                                 afterDelete: newer.afterDelete || item.write.afterDelete)
            }
        }
        if returned.count <= orderHead {
            order.replaceSubrange(orderHead - returned.count..<orderHead, with: returned)
            orderHead -= returned.count
        } else {
            order.insert(contentsOf: returned, at: orderHead)
        }
        committed()
    }
}
