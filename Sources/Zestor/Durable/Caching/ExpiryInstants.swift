/// Converts between the in-memory expiry deadlines of a ``DurableStore`` (monotonic nanoseconds
/// of its ``ExpiryClock``) and the instants its storage keeps (``PersistedRow/expiresAt``:
/// wall-clock milliseconds since 1970, which outlive the process).
///
/// One offset between the two clocks is read when the store opens and used for every conversion,
/// so a deadline converted to an instant and back is the same deadline to the millisecond, and
/// every row of one store maps the same way. Stored instants are rounded down to the millisecond:
/// a reloaded entry expires up to a millisecond early, never late.
struct ExpiryInstants: Sendable {
    let clock: any ExpiryClock
    /// Wall-clock nanoseconds minus monotonic nanoseconds, read once.
    private let offset: Int64

    init(clock: any ExpiryClock) {
        self.clock = clock
        offset = clock.wallClockNanoseconds &- clock.monotonicNanoseconds
    }

    /// The stored instant of the monotonic `deadline` (0: never, `nil`).
    func instant(ofDeadline deadline: Int64) -> Int64? {
        guard deadline != 0 else { return nil }
        let wall = deadline &+ offset
        return wall >= 0 ? wall / 1_000_000 : (wall - 999_999) / 1_000_000
    }

    /// The monotonic deadline of the stored instant `expiresAt` (`nil`: never, 0). An instant
    /// before this clock's first reading maps to the earliest deadline, which has passed.
    func deadline(ofInstant expiresAt: Int64?) -> Int64 {
        guard let expiresAt else { return 0 }
        let (wall, overflow) = expiresAt.multipliedReportingOverflow(by: 1_000_000)
        if overflow { return expiresAt > 0 ? .max : 1 }
        return max(1, wall &- offset)
    }

    /// Whether the stored instant `expiresAt` has passed.
    func hasPassed(_ expiresAt: Int64?) -> Bool {
        let deadline = deadline(ofInstant: expiresAt)
        return deadline != 0 && clock.hasPassed(deadline)
    }

    /// The monotonic deadline `expiration` gives a write to a kind whose default time to live is
    /// `defaultTimeToLive` (0: none) when it is resolved now; 0: never.
    func deadline(of expiration: Expiration, defaultTimeToLive: Duration?) -> Int64 {
        switch expiration {
        case .never: return 0
        case .kindDefault:
            guard let defaultTimeToLive else { return 0 }
            return clock.monotonicNanoseconds &+ Int64(defaultTimeToLive.inNanoseconds)
        case .after(let duration):
            return clock.monotonicNanoseconds &+ Int64(duration.inNanoseconds)
        }
    }
}

