import Synchronization

/// A shared counter: writers report progress, the case waits for it.
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)

    /// Adds one.
    func increment() {
        atomic.wrappingAdd(1, ordering: .relaxed)
    }

    /// The current count.
    var value: Int { atomic.load(ordering: .relaxed) }
}

/// A shared flag: tells a writer loop to stop.
final class Flag: Sendable {
    private let atomic = Atomic<Bool>(false)

    /// Raises the flag.
    func raise() {
        atomic.store(true, ordering: .relaxed)
    }

    /// Whether the flag is raised.
    var isRaised: Bool { atomic.load(ordering: .relaxed) }
}
