import Synchronization

/// An ``ExpiryClock`` that moves only when told to (``advance(by:)``): for tests.
///
/// Both readings start where the system clock stands at creation and advance together.
public final class ManualExpiryClock: ExpiryClock {
    private let monotonic: Atomic<Int64>
    private let wallClock: Atomic<Int64>

    /// Creates a clock reading what ``SystemExpiryClock`` reads now.
    public init() {
        let system = SystemExpiryClock()
        monotonic = Atomic(system.monotonicNanoseconds)
        wallClock = Atomic(system.wallClockNanoseconds)
    }

    public var monotonicNanoseconds: Int64 { monotonic.load(ordering: .acquiring) }
    public var wallClockNanoseconds: Int64 { wallClock.load(ordering: .acquiring) }

    /// Moves both readings forward by `duration` (which must not be negative: the clock is monotonic).
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "ManualExpiryClock cannot go back")
        let nanoseconds = Int64(duration.inNanoseconds)
        monotonic.add(nanoseconds, ordering: .releasing)
        wallClock.add(nanoseconds, ordering: .releasing)
    }
}
