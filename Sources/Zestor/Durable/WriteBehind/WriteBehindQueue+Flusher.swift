import Foundation

/// The flusher: a dedicated thread that waits for work, lets a batch gather, encodes and commits
/// it, and returns a failed batch to the backlog to retry it with backoff.
extension WriteBehindQueue {
    /// The pauses before retrying a failed commit: 25 ms doubling to 5 s.
    static var retryBackoff: Backoff { Backoff(initial: .milliseconds(25), maximum: .seconds(5)) }

    /// Starts the flusher on a dedicated thread, unless it was started already (or stopped).
    func start() {
        let starts = state.withLock { state -> Bool in
            guard !state.flusherStarted && !state.stopping else { return false }
            state.flusherStarted = true
            return true
        }
        guard starts else { return }
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
            let (hasWork, stopping) = state.withLock { (!$0.backlog.pending.isEmpty, $0.stopping) }
            if hasWork { return true }
            if stopping { return false }
            doorbell.wait()
        }
    }

    /// Waits up to `maxDelay` for a batch to gather, returning early when it is urgent.
    private func gather() {
        let deadline = Date(timeIntervalSinceNow: policy.maxDelay.inSeconds)
        doorbell.lock()
        defer { doorbell.unlock() }
        while !state.withLock({ $0.urgent || $0.stopping }) {
            if !doorbell.wait(until: deadline) { return }
        }
    }

    /// Sleeps for `duration` unless stopping is requested.
    private func pause(_ duration: Duration) {
        let deadline = Date(timeIntervalSinceNow: duration.inSeconds)
        doorbell.lock()
        defer { doorbell.unlock() }
        while !state.withLock({ $0.stopping }) {
            if !doorbell.wait(until: deadline) { return }
        }
    }


    /// Moves the oldest `maxBatch` pending writes in flight (in ticket order, without sorting).
    private func takeBatch() -> Batch? {
        state.withLock { state in
            guard !state.backlog.pending.isEmpty else { return nil }
            let batch = state.backlog.takeOldest(policy.maxBatch)
            state.urgent = state.backlog.pending.count >= policy.maxBatch || !state.flushWaiters.isEmpty
                || !state.spaceWaiters.isEmpty
            return batch.isEmpty ? nil : batch
        }
    }

    private func commit(_ batch: Batch) {
        var mutations: [PersistedMutation] = []
        mutations.reserveCapacity(batch.count)
        for (key, write) in batch {
            switch write.change {
            case .delete:
                mutations.append(.delete(kind: key.kind, key: key.key))
            case .cacheRemoval:
                mutations.append(write.afterDelete ? .delete(kind: key.kind, key: key.key)
                                 : .deleteUnlessNewer(kind: key.kind, key: key.key, version: write.version))
            case .expiryOnly:
                mutations.append(.setExpiry(kind: key.kind, key: key.key, version: write.version, expiresAt: write.expiresAt))
            case .upsert(let value):
                if write.afterDelete { mutations.append(.delete(kind: key.kind, key: key.key)) }
                do {
                    mutations.append(.upsert(PersistedRow(kind: key.kind, key: key.key, value: try encode(value),
                                                          version: write.version, expiresAt: write.expiresAt)))
                } catch {
                    // A value its own Codable conformance cannot encode can never be stored; say so loudly.
                    logger.error("write-behind: cannot encode value, not persisted", metadata: [
                        "kind": "\(key.kind)", "key": "\(key.key)", "error": "\(error)",
                    ])
                }
            }
        }
        do {
            let report = try commitBlocking(mutations)
            var lost = Set<Key>()
            for index in report.staleUpserts where mutations.indices.contains(index) {
                // Another store sharing the storage wrote the key first; its value stays (and
                // reaches this store through the change feed, where the backend has one).
                logger.warning("write-behind: a newer write from another store won; this one is dropped", metadata: [
                    "kind": "\(mutations[index].kind)", "key": "\(mutations[index].key)",
                ])
                lost.insert(Key(kind: mutations[index].kind, key: mutations[index].key))
            }
            if let reports = reports.withLock({ $0 }) {
                if let position = report.position { reports.committed(Self.landed(batch, mutations, report), position) }
                if !lost.isEmpty { reports.lost(Array(lost)) }
            }
            succeeded()
        } catch {
            let failures = failed(batch, error)
            logger.warning("write-behind commit failed; will retry", metadata: [
                "error": "\(error)", "attempt": "\(failures)", "pending": "\(status.pending)",
            ])
            pause(Self.retryBackoff.pause(afterFailures: failures))
        }
    }

    /// The keys of `batch` whose state the storage now holds, as `report` tells of `mutations`
    /// (one or two per write, the key's last one deciding; keys are distinct within a batch): an
    /// upsert not left stale, a delete, a cache removal or expiry change that changed its row.
    static func landed(_ batch: Batch, _ mutations: [PersistedMutation], _ report: CommitReport) -> [Key] {
        var decisive: [Key: Int] = [:]
        for (index, mutation) in mutations.enumerated() { decisive[Key(kind: mutation.kind, key: mutation.key)] = index }
        let stale = Set(report.staleUpserts), unchanged = Set(report.unchanged)
        return batch.compactMap { item in
            guard let index = decisive[item.key], !stale.contains(index) else { return nil }
            if case .delete = item.write.change { return item.key }  // gone, whether or not it removed a row
            return unchanged.contains(index) ? nil : item.key
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
            state.backlog.committed()
            state.consecutiveFailures = 0
            state.lastError = nil
            state.committedBatches += 1
            let oldest = state.backlog.oldestOutstanding() ?? .max
            let flushed = state.flushWaiters.filter { $0.ticket < oldest }.map(\.continuation)
            state.flushWaiters.removeAll { $0.ticket < oldest }
            var spaced: [CheckedContinuation<Void, Never>] = []
            if state.backlog.outstanding < policy.maxPending {
                spaced = state.spaceWaiters
                state.spaceWaiters = []
            }
            return (flushed, spaced)
        }
        for continuation in flushed { continuation.resume() }
        for continuation in spaced { continuation.resume() }
    }

    /// Returns the batch to pending (newer writes of the same key win). Returns the failure count.
    private func failed(_ batch: Batch, _ error: any Error) -> Int {
        state.withLock { state in
            state.backlog.returnToPending(batch)
            state.consecutiveFailures += 1
            state.lastError = "\(error)"
            state.urgent = true
            return state.consecutiveFailures
        }
    }
}
