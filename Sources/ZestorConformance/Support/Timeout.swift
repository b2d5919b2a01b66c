import Synchronization

/// Runs `operation` in a task of its own and waits at most `limit` for it.
///
/// Unlike a task group, this returns on time even when the operation ignores cancellation
/// (a broken store stuck in a wait): the operation is cancelled and left behind, and
/// `onTimeout` is thrown. Cancelling the caller cancels the operation.
func withTimeout<T: Sendable>(
    _ limit: Duration,
    onTimeout: @escaping @Sendable () -> any Error,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = Race<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation)
            let work = Task {
                do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
            }
            let timer = Task {
                do { try await Task.sleep(for: limit) } catch { return }
                race.finish(.failure(onTimeout()))
            }
            race.attach(work: work, timer: timer)
        }
    } onCancel: {
        race.cancelWork()
    }
}

/// The shared state of ``withTimeout(_:onTimeout:_:)``: whichever of the work and the timer
/// finishes first resumes the caller, exactly once, and cancels the other.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
        var done = false
        var cancelled = false
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func attach(work: Task<Void, Never>, timer: Task<Void, Never>) {
        let (done, cancelled) = state.withLock { state in
            state.work = work
            state.timer = timer
            return (state.done, state.cancelled)
        }
        if done { timer.cancel() }
        if done || cancelled { work.cancel() }
    }

    func finish(_ result: Result<T, any Error>) {
        let taken = state.withLock { state -> (CheckedContinuation<T, any Error>, Task<Void, Never>?, Task<Void, Never>?)? in
            guard !state.done, let continuation = state.continuation else { return nil }
            state.done = true
            state.continuation = nil
            return (continuation, state.work, state.timer)
        }
        guard let (continuation, work, timer) = taken else { return }
        timer?.cancel()
        work?.cancel()
        continuation.resume(with: result)
    }

    func cancelWork() {
        let work = state.withLock { state -> Task<Void, Never>? in
            state.cancelled = true
            return state.work
        }
        work?.cancel()
    }
}
