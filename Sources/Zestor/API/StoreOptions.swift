/// Behaviour shared by every store: change detection and per-kind validation.
public struct StoreOptions<Value: Sendable>: Sendable {
    /// true = the new value is equivalent to the stored one: nothing is written, no event.
    /// When nil, the *store* uses `==` if Value is Equatable (decided when the store is
    /// created, by a run-time conformance check), otherwise every set is a change.
    public var isEquivalent: (@Sendable (Value, Value) -> Bool)?
    /// Per-kind validators, run before any write; a thrown error is rethrown unchanged
    /// and nothing is written.
    public var validators: [String: @Sendable (Value) throws -> Void]

    /// Creates options.
    public init(isEquivalent: (@Sendable (Value, Value) -> Bool)? = nil,
                validators: [String: @Sendable (Value) throws -> Void] = [:]) {
        self.isEquivalent = isEquivalent
        self.validators = validators
    }
}
