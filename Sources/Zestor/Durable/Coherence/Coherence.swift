import Synchronization

/// What a ``DurableStore`` knows about how its memory relates to the storage's commit order, and
/// which keys' memory may differ from the storage. All state is under one ``Locked`` (`state`).
///
/// **Positions** (backends with a change feed only): for a key, the position of the last commit
/// whose effect memory shows, kept while it may matter — that is, while it is above what the feed
/// has delivered (``State/feedPosition``) or a reconcile is reading. The feed skips a change of a
/// key whose memory already shows a commit at or after it (a write of this store that committed
/// later, a reconcile that read later), and a reconcile skips a key whose memory shows a commit
/// after its snapshot. That orders memory by commit order, not by versions, which restart at 1
/// after a delete. Callers hold the key's ``KeyGate`` slot whenever they read or record its
/// position together with a memory change.
///
/// **Keys in doubt**: keys of write-through commits whose outcome was unknown. Their next write
/// reconciles them first; a background resolver reconciles them as soon as the storage answers.
final class Coherence: Sendable {
    private struct State {
        var positions: [KeyGate.Key: UInt64] = [:]
        var feedPosition: UInt64 = 0
        /// ``positions`` is pruned (entries at or below ``feedPosition`` dropped) when it exceeds this.
        var pruneThreshold = Coherence.minimumPruneThreshold
        /// Reconciles between taking their snapshot and applying it: while any runs, positions are
        /// not pruned (its snapshot may be older than the feed's position).
        var reconciling = 0
        var inDoubt: Set<KeyGate.Key> = []
        var resolverRunning = false
        var status = CoherenceStatus()
    }

    static let minimumPruneThreshold = 1_024

    /// Whether positions are recorded: only a backend with a change feed has a commit order to follow.
    let tracksPositions: Bool
    private let state = Locked(State())
    /// `state.inDoubt.count`, readable without the lock: a write checks it on every call.
    private let inDoubtCount = Atomic<Int>(0)

    init(tracksPositions: Bool) {
        self.tracksPositions = tracksPositions
    }

    var status: CoherenceStatus {
        state.withLock { state in
            var status = state.status
            status.keysInDoubt = state.inDoubt.count
            return status
        }
    }

    // MARK: Positions

    /// Records that memory shows the commit at `position` for `keys` (callers hold their gates).
    func record(_ keys: some Sequence<KeyGate.Key>, at position: UInt64?) {
        guard tracksPositions, let position else { return }
        state.withLock { state in
            for key in keys where state.positions[key].map({ $0 < position }) ?? true {
                state.positions[key] = position
            }
        }
    }

    /// Whether memory shows a commit of `key` at or after `position` (the caller holds its gate).
    func shows(_ key: KeyGate.Key, atOrAfter position: UInt64) -> Bool {
        guard tracksPositions else { return false }
        return state.withLock { $0.positions[key].map { $0 >= position } ?? false }
    }

    /// The feed has delivered everything up to `position`; drops positions that no longer matter
    /// once there are more than twice as many as after the last pruning (amortized O(1)).
    func feedReached(_ position: UInt64) {
        guard tracksPositions else { return }
        state.withLock { state in
            state.feedPosition = max(state.feedPosition, position)
            guard state.positions.count > state.pruneThreshold, state.reconciling == 0 else { return }
            let reached = state.feedPosition
            state.positions = state.positions.filter { $0.value > reached }
            state.pruneThreshold = max(Self.minimumPruneThreshold, 2 * state.positions.count)
        }
    }

    /// Brackets a reconcile from before it reads its snapshot until it has applied it.
    func beginReconcile() { state.withLock { $0.reconciling += 1 } }
    func endReconcile() { state.withLock { $0.reconciling -= 1 } }

    // MARK: Keys in doubt

    /// Marks `keys` in doubt — after a commit of unknown outcome, or when their stored rows could
    /// not be read after a lost race; returns whether the caller must start the resolver (none runs).
    func markInDoubt(_ keys: [KeyGate.Key], afterCommit: Bool) -> Bool {
        state.withLock { state in
            if afterCommit { state.status.commitsInDoubt += 1 }
            state.inDoubt.formUnion(keys)
            inDoubtCount.store(state.inDoubt.count, ordering: .releasing)
            if state.resolverRunning { return false }
            state.resolverRunning = true
            return true
        }
    }

    /// The keys among `keys` that are in doubt (cheap when none is).
    func inDoubt(among keys: [KeyGate.Key]) -> [KeyGate.Key] {
        if inDoubtCount.load(ordering: .acquiring) == 0 { return [] }
        return state.withLock { state in keys.filter { state.inDoubt.contains($0) } }
    }

    /// Every key in doubt now, or `nil` — and the resolver stops — when there is none.
    func nextInDoubt() -> [KeyGate.Key]? {
        state.withLock { state in
            if state.inDoubt.isEmpty {
                state.resolverRunning = false
                return nil
            }
            return state.inDoubt.sorted()
        }
    }

    /// `keys` were reconciled with the storage (the caller held their gates meanwhile), `repaired`
    /// of them differed.
    func reconciled(_ keys: [KeyGate.Key], repaired: Int) {
        state.withLock { state in
            state.status.keysRepaired += repaired
            state.inDoubt.subtract(keys)
            inDoubtCount.store(state.inDoubt.count, ordering: .releasing)
        }
    }

    /// Counts a resynchronization that repaired `repaired` keys.
    func resynchronized(repaired: Int) {
        state.withLock { state in
            state.status.resyncs += 1
            state.status.keysRepaired += repaired
        }
    }
}
