/// What a write does to its entry's expiry, resolved by the store from an ``Expiration`` (the
/// kind default already applied, the clock already read).
@usableFromInline
enum ExpiryChange: Sendable {
    /// Leaves it as it is (`update` without an expiration; a new entry then never expires).
    case keep
    /// Sets the deadline, in monotonic nanoseconds; 0: the entry never expires.
    case deadline(Int64)

    /// No expiry: what writes to kinds that are not caches resolve to.
    @inlinable
    static var never: ExpiryChange { .deadline(0) }
}
