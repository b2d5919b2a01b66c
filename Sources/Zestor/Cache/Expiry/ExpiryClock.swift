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
}

/// The production clock: `CLOCK_MONOTONIC` for deadlines, `CLOCK_REALTIME` for stored instants.
public struct SystemExpiryClock: ExpiryClock {
    /// Creates the system clock.
    public init() {}

    public var monotonicNanoseconds: Int64 { Self.read(CLOCK_MONOTONIC) }
    public var wallClockNanoseconds: Int64 { Self.read(CLOCK_REALTIME) }

    private static func read(_ clock: clockid_t) -> Int64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_nsec)
    }
}
