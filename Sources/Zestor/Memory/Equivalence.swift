/// The change detector a store uses when ``StoreOptions/isEquivalent`` is nil: `==` when
/// `Value` conforms to `Equatable` (checked once, at run time), otherwise none (every write is a change).
func defaultEquivalence<Value>(for type: Value.Type) -> (@Sendable (Value, Value) -> Bool)? {
    guard let equatable = type as? any Equatable.Type else { return nil }
    return equality(of: equatable, as: type)
}

private func equality<E: Equatable, Value>(of _: E.Type, as _: Value.Type) -> @Sendable (Value, Value) -> Bool {
    precondition(E.self == Value.self, "the Equatable conformance was found on Value itself")
    let equal: (E, E) -> Bool = { $0 == $1 }
    // Safe: E and Value are the same type (checked above), so both function types have one
    // representation; and the closure captures nothing but E's metatype and conformance, which
    // are immutable, so calling it from any thread is race-free (it is Sendable in fact; the
    // compiler cannot prove E's metatype Sendable because Equatable does not refine SendableMetatype).
    return unsafeBitCast(equal, to: (@Sendable (Value, Value) -> Bool).self)
}
