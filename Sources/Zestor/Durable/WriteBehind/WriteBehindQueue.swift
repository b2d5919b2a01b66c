import Foundation
import Logging

/// Pending write-behind mutations, coalesced per key, and the flusher that commits them.
///
/// Writers call ``waitForSpace()`` before applying to memory and ``record(_:_:version:expiresAt:)``
/// under the key's shard lock right after the apply (while still holding the key's gate), so
/// records of one key arrive in apply order, the cache's removals (recorded under the same lock)
/// included. A `DurableStore` in write-through mode has one too, recording only cache removals.
/// The flusher runs on a dedicated thread (``start()``, `WriteBehindQueue+Flusher.swift`): it
/// waits for work, lets a batch gather, encodes it (off the writers' path) and commits it; a
/// failed batch returns to pending (unless the key was written again meanwhile) and is retried
/// with backoff: nothing is dropped. What is pending is a ``WriteBehindBacklog``.
///
/// Locking: `state`'s lock guards every field of ``State``; `doorbell` only wakes the flusher.
/// The flusher takes `doorbell` then `state`; everyone else takes `state` and releases it
/// before ringing.
final class WriteBehindQueue<Value: Sendable>: Sendable {
    typealias Key = KeyGate.Key
    typealias Batch = [WriteBehindBacklog<Value>.Item]

    struct State {
        var backlog = WriteBehindBacklog<Value>()
        var spaceWaiters: [CheckedContinuation<Void, Never>] = []
        var flushWaiters: [(ticket: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var urgent = false
        var stopping = false
        var finished: CheckedContinuation<Void, Never>?
        /// Whether the flusher thread was started (``start()``).
        var flusherStarted = false
        /// Whether a record starts the flusher when it is not running (``startOnDemand()``).
        var startsOnDemand = false
        var flusherExited = false
        var consecutiveFailures = 0
        var lastError: String?
        var committedBatches = 0
    }

    let policy: WriteBehindPolicy
    let backend: any PersistenceBackend
    let encode: @Sendable (Value) throws -> [UInt8]
    let logger: Logger
    let state = Locked(State())
    /// See ``onCommit(committed:lost:)``.
    let reports = Locked<CommitReports?>(nil)
    /// Wakes the flusher thread when work arrives, becomes urgent, or it must stop.
    let doorbell = NSCondition()

    /// `policy` was checked by `DurableStore.open` (``WriteBehindPolicy/check()``).
    init(policy: WriteBehindPolicy, backend: any PersistenceBackend, logger: Logger,
         encode: @escaping @Sendable (Value) throws -> [UInt8]) {
        self.policy = policy
        self.backend = backend
        self.logger = logger
        self.encode = encode
    }

    var status: WriteBehindStatus {
        state.withLock {
            WriteBehindStatus(pending: $0.backlog.outstanding, consecutiveFailures: $0.consecutiveFailures,
                              lastError: $0.lastError, committedBatches: $0.committedBatches)
        }
    }

    /// Suspends while `maxPending` keys wait to be committed.
    func waitForSpace() async {
        while true {
            let hasSpace = state.withLock { $0.backlog.outstanding < policy.maxPending }
            if hasSpace { return }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.backlog.outstanding < policy.maxPending { return true }
                    state.spaceWaiters.append(continuation)
                    state.urgent = true
                    return false
                }
                if resumeNow { continuation.resume() }
                wakeFlusher()
            }
        }
    }

    /// Records the newest state of a key (see ``WriteBehindBacklog/record(_:_:version:expiresAt:)``).
    /// Never waits: cache removals are recorded under a shard lock.
    func record(_ key: Key, _ change: WriteBehindBacklog<Value>.Change, version: UInt64, expiresAt: Int64? = nil) {
        let (wake, needsFlusher) = state.withLock { state -> (Bool, Bool) in
            let wasIdle = state.backlog.pending.isEmpty
            guard state.backlog.record(key, change, version: version, expiresAt: expiresAt) else { return (false, false) }
            if state.backlog.pending.count >= policy.maxBatch && !state.urgent {
                state.urgent = true
                return (true, state.startsOnDemand && !state.flusherStarted)
            }
            return (wasIdle, state.startsOnDemand && !state.flusherStarted)
        }
        if needsFlusher { start() }
        if wake { wakeFlusher() }
    }

    /// Makes the first record start the flusher (now, if something is pending already): for a
    /// queue that may never get a record, which then costs no thread.
    func startOnDemand() {
        let startNow = state.withLock { state -> Bool in
            state.startsOnDemand = true
            return !state.backlog.pending.isEmpty
        }
        if startNow { start() }
    }

    /// ``WriteBehindBacklog/outstandingWrite(of:)``.
    func outstandingWrite(of key: Key) -> WriteBehindBacklog<Value>.PendingWrite? {
        state.withLock { $0.backlog.outstandingWrite(of: key) }
    }

    /// Whether the only outstanding write of `key` is in flight (see
    /// ``WriteBehindBacklog/isOnlyInFlight(_:)``).
    func writeIsOnlyInFlight(_ key: Key) -> Bool {
        state.withLock { $0.backlog.isOnlyInFlight(key) }
    }

    /// Makes ``outstandingWrite(of:)`` see every write in flight (a store with a change feed).
    func trackWritesInFlight() {
        state.withLock { $0.backlog.tracksWritesInFlight = true }
    }

    /// Sets what the flusher reports after each successful commit, before the batch stops
    /// counting as in flight (set once, before the first record):
    /// - `committed`: the keys whose state the storage took (``landed(_:_:_:)``), and the
    ///   commit's position — what the store's memory now shows (`Coherence`); only for commits
    ///   that have a position (a backend with a change feed);
    /// - `lost`: the keys whose upserts the storage left alone, because another store sharing it
    ///   wrote a newer row first: memory must be reconciled with the storage.
    func onCommit(committed: @escaping @Sendable ([Key], UInt64?) -> Void, lost: @escaping @Sendable ([Key]) -> Void) {
        reports.withLock { $0 = CommitReports(committed: committed, lost: lost) }
    }

    /// What the flusher reports (``onCommit(committed:lost:)``).
    struct CommitReports: Sendable {
        let committed: @Sendable ([Key], UInt64?) -> Void
        let lost: @Sendable ([Key]) -> Void
    }

    /// Returns when every write recorded before the call is committed.
    func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                let ticket = state.backlog.lastTicket
                guard let oldest = state.backlog.oldestOutstanding(), oldest <= ticket else { return true }
                state.flushWaiters.append((ticket, continuation))
                state.urgent = true
                return false
            }
            if done { continuation.resume() } else { wakeFlusher() }
        }
    }

    /// Flushes everything, then ends the flusher thread (if it was ever started) and waits for it
    /// to exit.
    func stop() async {
        await flush()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let exited = state.withLock { state -> Bool in
                state.stopping = true
                if state.flusherExited || !state.flusherStarted { return true }
                state.finished = continuation
                return false
            }
            if exited { continuation.resume() }
            wakeFlusher()
        }
    }

    func wakeFlusher() {
        doorbell.lock()
        doorbell.broadcast()
        doorbell.unlock()
    }
}
