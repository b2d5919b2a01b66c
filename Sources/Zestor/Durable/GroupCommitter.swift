/// Group commit for write-through: writers hand in their mutations and wait; one commit at a
/// time carries everything that queued up while the previous one ran, so throughput grows with
/// the number of concurrent writers. A failed commit fails every writer whose mutations it
/// carried (none of them was applied).
final class GroupCommitter: Sendable {
    private struct Waiting {
        let mutations: [PersistedMutation]
        let continuation: CheckedContinuation<Void, any Error>
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

    /// Returns once `mutations` are committed durably (in one transaction with whatever else
    /// was waiting), or throws the backend's error.
    func commit(_ mutations: [PersistedMutation]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
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
                try await backend.commit(batch.flatMap(\.mutations))
                for waiting in batch { waiting.continuation.resume() }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
