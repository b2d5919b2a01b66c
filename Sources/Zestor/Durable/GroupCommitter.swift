/// Group commit for write-through: writers hand in their mutations and wait; one commit at a
/// time carries everything that queued up while the previous one ran, so throughput grows with
/// the number of concurrent writers. A failed commit fails every writer whose mutations it
/// carried (none of them was applied).
final class GroupCommitter: Sendable {
    private struct Waiting {
        let mutations: [PersistedMutation]
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var committing = false
    }

    private let backend: any PersistenceBackend
    private let state = Locked(State())

    init(backend: any PersistenceBackend) {
        self.backend = backend
    }

    /// What one writer's share of a commit did.
    struct Outcome: Sendable {
        /// Indices in the writer's `mutations` of the upserts the backend left alone as stale.
        var staleUpserts: [Int]
        /// Indices in the writer's `mutations` of the conditional mutations that changed nothing
        /// (``CommitReport/unchanged``).
        var unchanged: [Int]
        /// The commit's position in the storage's commit order (``CommitReport/position``).
        var position: UInt64?
    }

    /// Returns once `mutations` are committed durably (in one transaction with whatever else
    /// was waiting), or throws the backend's error (``CommitOutcomeUnknown`` when the commit may
    /// have been applied). Returns the indices in `mutations` of the upserts the backend left
    /// alone as stale (see ``CommitReport``) and the commit's position.
    func commit(_ mutations: [PersistedMutation]) async throws -> Outcome {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Outcome, any Error>) in
            let startCommitter = state.withLock { state -> Bool in
                state.queue.append(Waiting(mutations: mutations, continuation: continuation))
                if state.committing { return false }
                state.committing = true
                return true
            }
            if startCommitter {
                Task { await self.drain() }
            }
        }
    }

    /// Removes the indices below `end` from the front of the ascending `indices` and returns them
    /// relative to `start` (one writer's share of a batch).
    private static func take(_ indices: inout ArraySlice<Int>, below end: Int, from start: Int) -> [Int] {
        var mine: [Int] = []
        while let first = indices.first, first < end {
            mine.append(first - start)
            indices = indices.dropFirst()
        }
        return mine
    }

    /// Commits batches until nothing waits.
    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let batch = state.queue
                state.queue = []
                if batch.isEmpty { state.committing = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let report = try await backend.commit(batch.flatMap(\.mutations))
                var stale = report.staleUpserts.sorted()[...]
                var unchanged = report.unchanged.sorted()[...]
                var start = 0
                for waiting in batch {
                    let end = start + waiting.mutations.count
                    let outcome = Outcome(staleUpserts: Self.take(&stale, below: end, from: start),
                                          unchanged: Self.take(&unchanged, below: end, from: start),
                                          position: report.position)
                    waiting.continuation.resume(returning: outcome)
                    start = end
                }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
