import Foundation

/// A dedicated OS thread that runs submitted jobs one at a time, in submission order.
///
/// It exists so that blocking library calls (libsqlite3, libpq) never run on the Swift concurrency cooperative
/// pool: async callers ``run(_:)`` a job and suspend on a continuation that the thread resumes.
/// State that only this executor's jobs touch is confined to its thread (``ThreadConfined``).
///
/// After ``shutdown()`` no job is accepted (``submit(_:)`` returns `false`, ``run(_:)`` throws
/// the owner's `closedError`); jobs accepted before still run, then the thread exits.
/// Shared by the backend modules of this package (`package` access), not public API.
package final class BlockingExecutor: Sendable {
    package typealias Job = @Sendable () -> Void

    private let queue: JobQueue
    /// What ``run(_:)`` and ``runAndWait(_:)`` throw once the executor is shut down.
    private let closedError: any Error
    /// Identity of the `Thread` object, which Foundation keeps alive while the thread runs.
    private let threadID: ObjectIdentifier

    /// Starts the thread, named `name`; `closedError` is thrown by calls after ``shutdown()``.
    package init(name: String, closedError: any Error) {
        self.closedError = closedError
        let queue = JobQueue()
        let thread = Thread { queue.runUntilShutdown() }
        thread.name = name
        thread.qualityOfService = .userInitiated
        self.queue = queue
        self.threadID = ObjectIdentifier(thread)
        thread.start()
    }

    /// Whether the caller runs on this executor's thread.
    package var isCurrent: Bool { ObjectIdentifier(Thread.current) == threadID }

    /// Enqueues `job`; `false` (and `job` dropped) after ``shutdown()``.
    package func submit(_ job: @escaping Job) -> Bool {
        queue.push(job)
    }

    /// Runs `body` on the thread and returns its result, suspending (not blocking) the caller.
    /// The job runs to completion even if the calling task is cancelled.
    package func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = submit { continuation.resume(with: Result { try body() }) }
            if !accepted { continuation.resume(throwing: closedError) }
        }
    }

    /// Runs `body` on the thread, blocking the calling thread until it returns. For synchronous
    /// entry points (a backend's `init`); never call it from the thread itself.
    package func runAndWait<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        precondition(!isCurrent, "runAndWait on its own executor thread would deadlock")
        let slot = ResultSlot<T>()
        guard submit({ slot.fill(Result { try body() }) }) else { throw closedError }
        return try slot.wait().get()
    }

    /// Stops accepting jobs; the thread exits once the jobs already accepted have run. Idempotent.
    package func shutdown() {
        queue.shutdown()
    }
}

/// The executor's FIFO of jobs, guarded by a condition variable.
private final class JobQueue: @unchecked Sendable {
    // @unchecked: `pending` and `isShutDown` are read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var pending: [BlockingExecutor.Job] = []
    private var isShutDown = false

    func push(_ job: @escaping BlockingExecutor.Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !isShutDown else { return false }
        pending.append(job)
        condition.signal()
        return true
    }

    package func shutdown() {
        condition.lock()
        isShutDown = true
        condition.signal()
        condition.unlock()
    }

    /// The thread's body: takes all pending jobs at once and runs them in order, until shut down
    /// and drained.
    func runUntilShutdown() {
        var batch: [BlockingExecutor.Job] = []
        while true {
            condition.lock()
            while pending.isEmpty && !isShutDown { condition.wait() }
            swap(&batch, &pending)
            condition.unlock()
            if batch.isEmpty { return }  // shut down, nothing left
            for job in batch { job() }
            batch.removeAll(keepingCapacity: true)
        }
    }
}

/// A one-shot result handed from the executor thread to a blocked caller.
private final class ResultSlot<T: Sendable>: @unchecked Sendable {
    // @unchecked: `result` is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var result: Result<T, any Error>?

    func fill(_ value: Result<T, any Error>) {
        condition.lock()
        result = value
        condition.signal()
        condition.unlock()
    }

    func wait() -> Result<T, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result { return result }
            condition.wait()
        }
    }
}
