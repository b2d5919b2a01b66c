#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The time source of expiry (``StoreOptions/clock``): tests inject a ``ManualExpiryClock`` so
/// that no test sleeps for an entry to expire.
///
/// It is read only for kinds and entries that expire: a read of an entry without an expiry never
/// calls it.
public protocol ExpiryClock: Sendable {
    /// Nanoseconds on a clock that never goes back (not wall time): expiry deadlines in memory.
    var monotonicNanoseconds: Int64 { get }
    /// Nanoseconds since 1970-01-01 UTC: expiry instants written to storage, where they must
    /// outlive the process.
    var wallClockNanoseconds: Int64 { get }
    /// Whether ``monotonicNanoseconds`` has reached `deadline` now: exactly that comparison, made
    /// as cheaply as the clock can (a read of an entry that expires asks it on every hit). The
    /// default reads ``monotonicNanoseconds``.
    func hasPassed(_ deadline: Int64) -> Bool
}

extension ExpiryClock {
    public func hasPassed(_ deadline: Int64) -> Bool { deadline <= monotonicNanoseconds }
}

/// The production clock: `CLOCK_MONOTONIC` for deadlines, `CLOCK_REALTIME` for stored instants.
///
/// ``hasPassed(_:)`` first reads `CLOCK_MONOTONIC_COARSE` (Linux), which the kernel updates once
/// per tick and which costs a fifth of a precise read here (6 ns against 28 ns): a deadline more
/// than two ticks after that reading has surely not passed. Only deadlines closer than that — an
/// entry within a few milliseconds of expiring — take the precise reading, so the answer is
/// always exactly the precise comparison.
public struct SystemExpiryClock: ExpiryClock {
    /// How far `CLOCK_MONOTONIC_COARSE` may be behind `CLOCK_MONOTONIC`, with a margin: two
    /// ticks (its resolution); 0 where there is no coarse clock.
    private let coarseLag: Int64

    /// Creates the system clock.
    public init() {
        #if os(Linux)
        var resolution = timespec()
        clock_getres(CLOCK_MONOTONIC_COARSE, &resolution)
        coarseLag = 2 * (Int64(resolution.tv_sec) &* 1_000_000_000 &+ Int64(resolution.tv_nsec))
        #else
        coarseLag = 0
        #endif
    }

    public var monotonicNanoseconds: Int64 { Self.read(CLOCK_MONOTONIC) }
    public var wallClockNanoseconds: Int64 { Self.read(CLOCK_REALTIME) }

    public func hasPassed(_ deadline: Int64) -> Bool {
        #if os(Linux)
        if deadline > Self.read(CLOCK_MONOTONIC_COARSE) &+ coarseLag { return false }
        #endif
        return deadline <= monotonicNanoseconds
    }

    private static func read(_ clock: clockid_t) -> Int64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_nsec)
    }
}
