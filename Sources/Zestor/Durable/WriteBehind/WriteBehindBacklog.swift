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

    /// The newest state of one pending key.
    struct PendingWrite: Sendable {
        /// nil: a delete.
        let value: Value?
        let version: UInt64
        let ticket: UInt64
        /// The key was deleted before this write (a delete this write coalesced away): the stored
        /// row must be removed first, since a re-created key starts again at version 1 and an
        /// upsert alone would not replace a row with a higher version.
        var afterDelete = false

        /// Whether committing this write removes the stored row (a delete, or a write after one).
        var removesStoredRow: Bool { value == nil || afterDelete }
    }

    /// One write of a batch: its key and state.
    typealias Item = (key: Key, write: PendingWrite)

    private(set) var pending: [Key: PendingWrite] = [:]
    /// Pending keys in ticket order (oldest first), for batches without sorting. An entry is
    /// stale when its key's pending ticket differs (the key was written again, or taken);
    /// stale entries are skipped and dropped as the front advances.
    private var order: [(key: Key, ticket: UInt64)] = []
    private var orderHead = 0
    /// Writes of the batch being committed, and the smallest ticket among them (nil: none).
    private var inFlightCount = 0
    private var oldestInFlight: UInt64?
    private var nextTicket: UInt64 = 1

    /// Keys pending or in flight.
    var outstanding: Int { pending.count + inFlightCount }

    /// The ticket of the last write recorded (0: none yet).
    var lastTicket: UInt64 { nextTicket &- 1 }

    /// Records the newest state of `key` (nil value: deleted) at `version`, coalescing with the
    /// pending one.
    mutating func record(_ key: Key, value: Value?, version: UInt64) {
        var write = PendingWrite(value: value, version: version, ticket: nextTicket)
        write.afterDelete = pending[key]?.removesStoredRow ?? false
        pending[key] = write
        order.append((key, write.ticket))
        nextTicket &+= 1
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
    }

    /// Puts the writes of a failed batch (in ticket order) back in front of `order`: they
    /// are older than every entry there. Writes whose key was recorded again meanwhile stay
    /// superseded.
    mutating func returnToPending(_ batch: [Item]) {
        var returned: [(key: Key, ticket: UInt64)] = []
        for item in batch {
            if pending[item.key] == nil {
                pending[item.key] = item.write
                returned.append((item.key, item.write.ticket))
            } else if item.write.removesStoredRow {
                // The newer write was recorded while this delete was in flight; it failed, so
                // the newer one now has to remove the stored row itself.
                pending[item.key]!.afterDelete = true
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
