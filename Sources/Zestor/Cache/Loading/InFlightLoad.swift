/// One load of `get(_:_:orLoad:)` in flight: the callers waiting for it and, once it finished,
/// its outcome. The first caller to miss a key starts it; later callers for the same key join it.
///
/// Each waiter suspends on a continuation of its own, so a waiter that is cancelled leaves at
/// once (throwing `CancellationError`) while the load runs on for the others. Invariant: every
/// continuation is resumed exactly once — by ``finish(_:)`` or by ``cancelWaiter(_:)``,
/// whichever takes it out of `state` first.
@usableFromInline
final class InFlightLoad<Value: Sendable>: Sendable {
    private struct State {
        var waiters: [UInt64: CheckedContinuation<Value?, any Error>] = [:]
        var cancelled: Set<UInt64> = []
        var nextWaiter: UInt64 = 0
        var outcome: Result<Value?, any Error>?
    }

    private let state = Locked(State())

    init() {}

    /// Waits for the load's outcome: its value (`nil` when it found none) or its error.
    /// Throws `CancellationError` as soon as the calling task is cancelled.
    func wait() async throws -> Value? {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value?, any Error>) in
                let ready = state.withLock { state -> Result<Value?, any Error>? in
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if let outcome = state.outcome { return outcome }
                    state.waiters[id] = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            cancelWaiter(id)
        }
    }

    /// Ends waiter `id` with `CancellationError` (or, if it is not waiting yet, makes it end so
    /// as soon as it would).
    private func cancelWaiter(_ id: UInt64) {
        let continuation = state.withLock { state -> CheckedContinuation<Value?, any Error>? in
            if let continuation = state.waiters.removeValue(forKey: id) { return continuation }
            if state.outcome == nil { state.cancelled.insert(id) }
            return nil
        }
        continuation?.resume(throwing: CancellationError())
    }

    /// Hands `outcome` to every waiter, present and future.
    func finish(_ outcome: Result<Value?, any Error>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value?, any Error>] in
            state.outcome = outcome
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }
}
