/// `Duration` in the units the system APIs take (libpq and SQLite timeouts, `Thread.sleep`,
/// dispatch deadlines), computed in one place.
extension Duration {
    /// In seconds, as a `Double` (`TimeInterval`).
    package var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// In whole nanoseconds, clamped to `Int` (`Int.min` … `Int.max`).
    @usableFromInline
    package var inNanoseconds: Int {
        let (seconds, attoseconds) = components
        let whole = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !whole.overflow else { return seconds < 0 ? .min : .max }
        let total = whole.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000)
        guard !total.overflow else { return seconds < 0 ? .min : .max }
        return Int(clamping: total.partialValue)
    }

    /// In whole milliseconds (rounded down), clamped to `range`.
    package func milliseconds(clampedTo range: ClosedRange<Int64>) -> Int64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return range.lowerBound }
        let whole = seconds.multipliedReportingOverflow(by: 1000)
        guard !whole.overflow else { return range.upperBound }
        let total = whole.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        guard !total.overflow else { return range.upperBound }
        return min(max(total.partialValue, range.lowerBound), range.upperBound)
    }
}
