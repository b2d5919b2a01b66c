import Foundation

/// The background thread of a store that has expiring entries: every ``SweepOptions/interval``
/// it runs `sweep` (which removes what expired, a bounded batch per shard lock) until stopped or
/// until `sweep` returns false (the store is gone or closed).
///
/// Started by the store the first time a kind gets expiring entries, so stores without any
/// never have the thread. Invariant: `stopping` is read and written only while `doorbell` is locked.
final class ExpirySweeper: @unchecked Sendable {
    // @unchecked: `stopping` is guarded by `doorbell` (see above); the rest is immutable.
    private let interval: Duration
    private let sweep: @Sendable () -> Bool
    private let doorbell = NSCondition()
    private var stopping = false

    init(interval: Duration, sweep: @escaping @Sendable () -> Bool) {
        self.interval = interval
        self.sweep = sweep
    }

    /// Starts the thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "zestor.expiry-sweeper"
        thread.start()
    }

    /// Makes the thread exit at its next wake-up (at once if it is waiting). Idempotent.
    func stop() {
        doorbell.lock()
        stopping = true
        doorbell.signal()
        doorbell.unlock()
    }

    private func run() {
        while waitForNextPass() {
            if !sweep() { return }
        }
    }

    /// Waits one interval; returns false when stopped.
    private func waitForNextPass() -> Bool {
        let deadline = Date(timeIntervalSinceNow: interval.inSeconds)
        doorbell.lock()
        defer { doorbell.unlock() }
        while !stopping {
            if !doorbell.wait(until: deadline) { return !stopping }
        }
        return false
    }
}
