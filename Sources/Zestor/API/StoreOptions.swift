/// Behaviour shared by every store: change detection, per-kind validation, and the kinds that
/// behave as caches.
public struct StoreOptions<Value: Sendable>: Sendable {
    /// true = the new value is equivalent to the stored one: nothing is written, no event.
    /// When nil, the *store* uses `==` if Value is Equatable (decided when the store is
    /// created, by a run-time conformance check), otherwise every set is a change.
    public var isEquivalent: (@Sendable (Value, Value) -> Bool)?
    /// Per-kind validators, run before any write; a thrown error is rethrown unchanged
    /// and nothing is written.
    public var validators: [String: @Sendable (Value) throws -> Void]
    /// Per-kind cache behaviour: a default time to live and a capacity bound. Kinds not named
    /// here are unbounded and their entries expire only when a write gives them an
    /// ``Expiration``.
    public var caches: [String: CacheOptions]
    /// The time source of expiry; tests inject a ``ManualExpiryClock``.
    public var clock: any ExpiryClock
    /// How often expired entries are swept away.
    public var sweep: SweepOptions

    /// Creates options.
    public init(isEquivalent: (@Sendable (Value, Value) -> Bool)? = nil,
                validators: [String: @Sendable (Value) throws -> Void] = [:],
                caches: [String: CacheOptions] = [:],
                clock: any ExpiryClock = SystemExpiryClock(),
                sweep: SweepOptions = .default) {
        self.isEquivalent = isEquivalent
        self.validators = validators
        self.caches = caches
        self.clock = clock
        self.sweep = sweep
    }
}
