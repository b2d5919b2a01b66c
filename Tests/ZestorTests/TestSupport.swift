import Foundation
import Testing
import Zestor

/// Fails the test instead of hanging when `body` does not finish within `seconds`.
func withDeadline<T: Sendable>(
    _ seconds: Double = 30, _ what: String = "operation",
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try? await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw DeadlineExceeded(what: what, seconds: seconds)
        }
        return value
    }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    let what: String
    let seconds: Double
    var description: String { "\(what) did not finish within \(seconds) s" }
}

/// Every event of `watch` until it ends (its store closed), failing after 10 s.
func allEvents<Value: Sendable>(_ watch: Watch<Value>) async throws -> [Event<Value>] {
    try await withDeadline(10, "the watch ending") {
        var events: [Event<Value>] = []
        for try await event in watch { events.append(event) }
        return events
    }
}

/// Runs `body(index)` on `count` dedicated threads (not the cooperative pool) and returns when all finished.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                body(index)
                group.leave()
            }
            thread.start()
        }
        group.notify(queue: .global()) { continuation.resume() }
    }
}

/// A small deterministic PRNG for stress tests (xorshift64*).
struct XorShift: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

/// Applies watch events to a dictionary: what a consumer reconstructing the store does.
/// Also counts events that cannot happen in a correctly ordered stream: a `.create` of a key it
/// already holds, an `.update` or `.delete` of a key it does not hold, a sequence that does not grow.
struct Reconstruction<Value: Sendable> {
    var state: [String: Value] = [:]
    var lastSequence: UInt64 = 0
    var count = 0
    var impossibleEvents = 0

    mutating func apply(_ event: Event<Value>) {
        if event.sequence <= lastSequence { impossibleEvents += 1 }
        lastSequence = event.sequence
        count += 1
        let held = state[event.key] != nil
        switch event.type {
        case .create:
            if held { impossibleEvents += 1 }
            state[event.key] = event.value
        case .update:
            if !held { impossibleEvents += 1 }
            state[event.key] = event.value
        case .delete:
            if !held { impossibleEvents += 1 }
            state[event.key] = nil
        }
    }
}

/// A value behind an `NSLock` (a pthread mutex, which Thread Sanitizer understands).
final class LockedBox<T>: @unchecked Sendable {
    // @unchecked: `value` is only accessed while `lock` is held.
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func withLock<R>(_ body: (inout T) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Whether README.md contains, verbatim, the lines of the test file at `file` between the
/// `// <marker> begin` and `// <marker> end` lines: the README's examples are compiled as tests.
func readmeShowsSnippet(_ marker: String, of file: String = #filePath) throws -> Bool {
    let here = URL(fileURLWithPath: file)
    let source = try String(contentsOf: here, encoding: .utf8)
    let readme = try String(contentsOf: here.deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
    let begin = try #require(source.range(of: "// \(marker) begin\n"))
    let end = try #require(source.range(of: "// \(marker) end"))
    return readme.contains(String(source[begin.upperBound..<end.lowerBound]))
}
