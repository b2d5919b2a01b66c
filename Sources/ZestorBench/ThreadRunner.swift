import Foundation
import Synchronization

/// Runs a loop on dedicated threads (never the Swift concurrency pool) for a fixed duration.
enum ThreadRunner {
    /// A stop signal polled by the measured loops.
    final class StopSignal: Sendable {
        private let stopped = Atomic<Bool>(false)
        @inline(__always) var isStopped: Bool { stopped.load(ordering: .relaxed) }
        func stop() { stopped.store(true, ordering: .relaxed) }
    }

    /// Starts `threads` threads running `body(thread, stop)` together, stops them after
    /// `seconds` (or earlier, when every body returned by itself), and returns the summed
    /// operation counts and the wall time from the start until the last thread finished.
    static func run(threads: Int, seconds: Double,
                    _ body: @escaping @Sendable (_ thread: Int, _ stop: StopSignal) -> Int) async -> (ops: Int, seconds: Double) {
        let stop = StopSignal()
        let start = DispatchSemaphore(value: 0)
        let total = Atomic<Int>(0)
        let running = Atomic<Int>(threads)
        let lastFinish = Atomic<UInt64>(0)
        let group = DispatchGroup()
        for index in 0..<threads {
            group.enter()
            let thread = Thread {
                start.wait()
                total.add(body(index, stop), ordering: .relaxed)
                _ = lastFinish.max(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
                running.subtract(1, ordering: .relaxed)
                group.leave()
            }
            thread.start()
        }
        let began = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<threads { start.signal() }
        let deadline = began + UInt64(seconds * 1e9)
        while DispatchTime.now().uptimeNanoseconds < deadline && running.load(ordering: .relaxed) > 0 {
            try? await Task.sleep(for: .milliseconds(5))
        }
        stop.stop()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            group.notify(queue: .global()) { continuation.resume() }
        }
        let elapsed = Double(lastFinish.load(ordering: .relaxed) - began) / 1e9
        return (total.load(ordering: .relaxed), elapsed)
    }
}
