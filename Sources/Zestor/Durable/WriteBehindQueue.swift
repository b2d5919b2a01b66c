import Foundation
import Logging

/// The inspectable state of a write-behind store's flusher.
public struct WriteBehindStatus: Sendable, Equatable {
    /// Keys written to memory and not yet committed (coalesced: one per key).
    public var pending: Int
    /// Commits that failed in a row since the last success (0 when healthy).
    public var consecutiveFailures: Int
    /// The last commit error, if the last attempt failed.
    public var lastError: String?
    /// Batches committed since open.
    public var committedBatches: Int
}

/// Pending write-behind mutations, coalesced per key, and the flusher that commits them.
///
/// Writers call ``waitForSpace()`` before applying to memory and ``record(_:value:version:)``
/// after (while still holding the key's gate, so records of one key arrive in apply order).
/// The flusher runs on a dedicated thread (``start()``): it waits for work, lets a batch gather,
/// encodes it (off the writers' path) and commits it; a failed batch returns to pending (unless
/// the key was written again meanwhile) and is retried with backoff: nothing is dropped.
///
/// Ordering invariant (under `state`'s lock): every write gets the next ticket when recorded;
/// `order[orderHead...]` is ascending by ticket and holds an entry for every pending write (plus
/// stale entries: keys written again or taken since); every in-flight ticket is below every
/// pending one (batches are taken from the front of `order`, later records get larger tickets,
/// and a failed batch goes back to the front). So the oldest write not yet durable is the oldest
/// in flight, else the first live entry of `order`: found in amortized O(1), since each stale
/// entry is skipped once.
///
/// Locking: `state`'s mutex guards every field; `doorbell` only wakes the flusher. The flusher
/// takes `doorbell` then `state`; everyone else takes `state` and releases it before ringing.
final class WriteBehindQueue<Value: Sendable>: Sendable {
    typealias Key = KeyGate.Key

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

    private struct State {
        var pending: [Key: PendingWrite] = [:]
        /// Pending keys in ticket order (oldest first), for batches without sorting. An entry is
        /// stale when its key's pending ticket differs (the key was written again, or taken);
        /// stale entries are skipped and dropped as the front advances.
        var order: [(key: Key, ticket: UInt64)] = []
        var orderHead = 0
        /// Writes of the batch being committed, and the smallest ticket among them (nil: none).
        var inFlightCount = 0
        var oldestInFlight: UInt64?
        var nextTicket: UInt64 = 1
        var spaceWaiters: [CheckedContinuation<Void, Never>] = []
        var flushWaiters: [(ticket: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var urgent = false
        var stopping = false
        var finished: CheckedContinuation<Void, Never>?
        var flusherExited = false
        var consecutiveFailures = 0
        var lastError: String?
        var committedBatches = 0

        var outstanding: Int { pending.count + inFlightCount }

        /// The oldest ticket not yet durable, or nil when everything is (see the type's ordering
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
        mutating func takeOldest(_ limit: Int) -> [(key: Key, write: PendingWrite)] {
            var batch: [(key: Key, write: PendingWrite)] = []
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
            } else if orderHead > 4_096 && orderHead * 2 > order.count {
                order.removeFirst(orderHead)
                orderHead = 0
            }
            return batch
        }

        /// Puts the writes of a failed batch (in ticket order) back in front of `order`: they
        /// are older than every entry there. Writes whose key was recorded again meanwhile stay
        /// superseded.
        mutating func returnToPending(_ batch: [(key: Key, write: PendingWrite)]) {
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
            inFlightCount = 0
            oldestInFlight = nil
        }
    }

    private let policy: WriteBehindPolicy
    private let backend: any PersistenceBackend
    private let encode: @Sendable (Value) throws -> [UInt8]
    private let logger: Logger
    private let state = Locked(State())
    /// Wakes the flusher thread when work arrives, becomes urgent, or it must stop.
    private let doorbell = NSCondition()

    init(policy: WriteBehindPolicy, backend: any PersistenceBackend, logger: Logger,
         encode: @escaping @Sendable (Value) throws -> [UInt8]) {
        self.policy = WriteBehindPolicy(maxDelay: policy.maxDelay, maxBatch: max(1, policy.maxBatch),
                                        maxPending: max(1, policy.maxPending))
        self.backend = backend
        self.logger = logger
        self.encode = encode
    }

    var status: WriteBehindStatus {
        state.withLock {
            WriteBehindStatus(pending: $0.outstanding, consecutiveFailures: $0.consecutiveFailures,
                              lastError: $0.lastError, committedBatches: $0.committedBatches)
        }
    }

    /// Suspends while `maxPending` keys wait to be committed.
    func waitForSpace() async {
        while true {
            let hasSpace = state.withLock { $0.outstanding < policy.maxPending }
            if hasSpace { return }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.outstanding < policy.maxPending { return true }
                    state.spaceWaiters.append(continuation)
                    state.urgent = true
                    return false
                }
                if resumeNow { continuation.resume() }
                wakeFlusher()
            }
        }
    }

    /// Records the newest state of a key (nil value: deleted) at `version`.
    func record(_ key: Key, value: Value?, version: UInt64) {
        let wake = state.withLock { state -> Bool in
            let wasIdle = state.pending.isEmpty
            var write = PendingWrite(value: value, version: version, ticket: state.nextTicket)
            write.afterDelete = state.pending[key]?.removesStoredRow ?? false
            state.pending[key] = write
            state.order.append((key, write.ticket))
            state.nextTicket &+= 1
            if state.pending.count >= policy.maxBatch && !state.urgent {
                state.urgent = true
                return true
            }
            return wasIdle
        }
        if wake { wakeFlusher() }
    }

    /// Returns when every write recorded before the call is committed.
    func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                let ticket = state.nextTicket &- 1
                guard let oldest = state.oldestOutstanding(), oldest <= ticket else { return true }
                state.flushWaiters.append((ticket, continuation))
                state.urgent = true
                return false
            }
            if done { continuation.resume() } else { wakeFlusher() }
        }
    }

    /// Flushes everything, then ends the flusher thread and waits for it to exit.
    func stop() async {
        await flush()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let exited = state.withLock { state -> Bool in
                state.stopping = true
                if state.flusherExited { return true }
                state.finished = continuation
                return false
            }
            if exited { continuation.resume() }
            wakeFlusher()
        }
    }

    private func wakeFlusher() {
        doorbell.lock()
        doorbell.broadcast()
        doorbell.unlock()
    }

    /// Starts the flusher on a dedicated thread.
    func start() {
        let thread = Thread { [self] in runFlusher() }
        thread.name = "zestor.write-behind"
        thread.start()
    }

    /// The flusher loop: waits for work, lets a batch gather for up to `maxDelay` (less when a
    /// batch is full or someone flushes), commits, and retries failures with backoff.
    private func runFlusher() {
        while waitForWork() {
            gather()
            guard let batch = takeBatch() else { continue }
            commit(batch)
        }
        let finished = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.flusherExited = true
            defer { state.finished = nil }
            return state.finished
        }
        finished?.resume()
    }

    /// Blocks until there is work; returns false when stopping with nothing left to do.
    private func waitForWork() -> Bool {
        doorbell.lock()
        defer { doorbell.unlock() }
        while true {
            let (hasWork, stopping) = state.withLock { (!$0.pending.isEmpty, $0.stopping) }
            if hasWork { return true }
            if stopping { return false }
            doorbell.wait()
        }
    }

    /// Waits up to `maxDelay` for a batch to gather, returning early when it is urgent.
    private func gather() {
        let deadline = Date(timeIntervalSinceNow: Self.seconds(policy.maxDelay))
        doorbell.lock()
        defer { doorbell.unlock() }
        while !state.withLock({ $0.urgent || $0.stopping }) {
            if !doorbell.wait(until: deadline) { return }
        }
    }

    /// Sleeps for `duration` unless stopping is requested.
    private func pause(_ duration: Duration) {
        let deadline = Date(timeIntervalSinceNow: Self.seconds(duration))
        doorbell.lock()
        defer { doorbell.unlock() }
        while !state.withLock({ $0.stopping }) {
            if !doorbell.wait(until: deadline) { return }
        }
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Moves the oldest `maxBatch` pending writes in flight (in ticket order, without sorting).
    private func takeBatch() -> [(key: Key, write: PendingWrite)]? {
        state.withLock { state in
            guard !state.pending.isEmpty else { return nil }
            let batch = state.takeOldest(policy.maxBatch)
            state.urgent = state.pending.count >= policy.maxBatch || !state.flushWaiters.isEmpty
                || !state.spaceWaiters.isEmpty
            return batch.isEmpty ? nil : batch
        }
    }

    private func commit(_ batch: [(key: Key, write: PendingWrite)]) {
        var mutations: [PersistedMutation] = []
        mutations.reserveCapacity(batch.count)
        for item in batch {
            guard let value = item.write.value else {
                mutations.append(.delete(kind: item.key.kind, key: item.key.key))
                continue
            }
            if item.write.afterDelete {
                mutations.append(.delete(kind: item.key.kind, key: item.key.key))
            }
            do {
                let bytes = try encode(value)
                mutations.append(.upsert(PersistedRow(kind: item.key.kind, key: item.key.key, value: bytes,
                                                      version: item.write.version)))
            } catch {
                // A value its own Codable conformance cannot encode can never be stored; say so loudly.
                logger.error("write-behind: cannot encode value, not persisted", metadata: [
                    "kind": "\(item.key.kind)", "key": "\(item.key.key)", "error": "\(error)",
                ])
            }
        }
        do {
            let report = try commitBlocking(mutations)
            for index in report.staleUpserts where mutations.indices.contains(index) {
                // Another store sharing the storage wrote the key first; its value stays (and
                // reaches this store through the change feed, where the backend has one).
                logger.warning("write-behind: a newer write from another store won; this one is dropped", metadata: [
                    "kind": "\(mutations[index].kind)", "key": "\(mutations[index].key)",
                ])
            }
            succeeded()
        } catch {
            let failures = failed(batch, error)
            logger.warning("write-behind commit failed; will retry", metadata: [
                "error": "\(error)", "attempt": "\(failures)", "pending": "\(status.pending)",
            ])
            pause(.milliseconds(min(5_000, 25 << min(failures, 8))))
        }
    }

    /// Runs the backend's async commit and blocks this (dedicated) thread until it finishes.
    private func commitBlocking(_ mutations: [PersistedMutation]) throws -> CommitReport {
        let done = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<CommitReport, any Error>>(.success(.allApplied))
        let backend = self.backend
        Task {
            do {
                let report = try await backend.commit(mutations)
                outcome.withLock { $0 = .success(report) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0 }.get()
    }

    private func succeeded() {
        let (flushed, spaced) = state.withLock { state in
            state.inFlightCount = 0
            state.oldestInFlight = nil
            state.consecutiveFailures = 0
            state.lastError = nil
            state.committedBatches += 1
            let oldest = state.oldestOutstanding() ?? .max
            let flushed = state.flushWaiters.filter { $0.ticket < oldest }.map(\.continuation)
            state.flushWaiters.removeAll { $0.ticket < oldest }
            var spaced: [CheckedContinuation<Void, Never>] = []
            if state.outstanding < policy.maxPending {
                spaced = state.spaceWaiters
                state.spaceWaiters = []
            }
            return (flushed, spaced)
        }
        for continuation in flushed { continuation.resume() }
        for continuation in spaced { continuation.resume() }
    }

    /// Returns the batch to pending (newer writes of the same key win). Returns the failure count.
    private func failed(_ batch: [(key: Key, write: PendingWrite)], _ error: any Error) -> Int {
        state.withLock { state in
            state.returnToPending(batch)
            state.consecutiveFailures += 1
            state.lastError = "\(error)"
            state.urgent = true
            return state.consecutiveFailures
        }
    }
}
