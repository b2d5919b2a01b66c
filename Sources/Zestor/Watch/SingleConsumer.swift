import Synchronization

/// The rule that a ``Watch`` has a single consumer, shared by both subscription kinds.
///
/// A subscription owns one `SingleConsumerClaim`; each iterator made from it takes a
/// ``SingleConsumerRole`` at creation. The first iterator consumes the events; every later one
/// throws ``StoreError/watchAlreadyConsumed`` from its first `next()` and then ends.
@usableFromInline
struct SingleConsumerRole: Sendable {
    /// True for an iterator that is not the first and has not thrown yet.
    @usableFromInline var mustReject: Bool

    /// The role of a new iterator of the subscription whose claim is `claim`.
    init(claiming claim: borrowing SingleConsumerClaim) {
        mustReject = !claim.take()
    }

    /// Throws, once, for an iterator that is not the subscription's first; the caller then ends.
    @inlinable @inline(__always)
    mutating func rejectIfSecond() throws {
        guard mustReject else { return }
        mustReject = false
        throw StoreError.watchAlreadyConsumed
    }
}

/// Whether some iterator already consumes a subscription. Stored in the subscription object.
struct SingleConsumerClaim: ~Copyable, Sendable {
    private let claimed = Atomic<Bool>(false)

    init() {}

    /// True for the first caller only.
    func take() -> Bool {
        !claimed.exchange(true, ordering: .acquiringAndReleasing)
    }
}
