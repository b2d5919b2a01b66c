/// Decides whether a write changes the stored value (``StoreOptions/isEquivalent``).
///
/// When the options give no closure, `Value`'s own `==` is used if `Value` is `Equatable`
/// (found once, at store creation, by a run-time conformance check). That case keeps only the
/// conformance (a metatype: no reference counting), so comparing costs no retain of a shared
/// closure context on the write path.
@usableFromInline
enum ChangeDetector<Value: Sendable>: Sendable {
    /// The user's `isEquivalent` closure.
    case custom(@Sendable (Value, Value) -> Bool)
    /// `Value`'s own `==`.
    case equatable(EquatableConformance)
    /// Every write is a change.
    case none

    init(_ isEquivalent: (@Sendable (Value, Value) -> Bool)?) {
        if let isEquivalent {
            self = .custom(isEquivalent)
        } else if let equatable = Value.self as? any Equatable.Type {
            self = .equatable(EquatableConformance(type: equatable))
        } else {
            self = .none
        }
    }

    /// Whether `new` is equivalent to `stored` (so the write is skipped).
    @inlinable
    func isEquivalent(_ stored: Value, _ new: Value) -> Bool {
        switch self {
        case .custom(let isEquivalent): isEquivalent(stored, new)
        case .equatable(let conformance):
            // The pointers are taken here, in code specialized for `Value` (free), so that the
            // unspecialized `equal` compares the values in place instead of copying both.
            withUnsafePointer(to: stored) { stored in
                withUnsafePointer(to: new) { new in Self.equal(conformance.type, stored, new) }
            }
        case .none: false
        }
    }

    /// `lhs.pointee == rhs.pointee` for `Value == E` (guaranteed by ``init(_:)``, which found the
    /// conformance on `Value` itself). Never specialized — `E` is only known at run time — so it
    /// takes the values by address: reinterpreting them by value would copy and destroy both
    /// through their value witnesses on every write.
    @inlinable
    static func equal<E: Equatable>(_: E.Type, _ lhs: UnsafePointer<Value>, _ rhs: UnsafePointer<Value>) -> Bool {
        // Read as `pointee`, the values would still be copied: `inout` hands their addresses on.
        // Why `UnsafeMutableRawPointer(mutating:)` is sound: both pointers come from
        // `withUnsafePointer(to:)` on live values in `isEquivalent`, valid for this whole call;
        // `Value == E` (``init(_:)`` found the conformance on `Value` itself), so binding the
        // memory to `E` reinterprets nothing; and `==` takes its operands borrowed, so the
        // `inout` access never writes: the "mutable" pointers are never written through.
        equalInPlace(&UnsafeMutableRawPointer(mutating: lhs).assumingMemoryBound(to: E.self).pointee,
                     &UnsafeMutableRawPointer(mutating: rhs).assumingMemoryBound(to: E.self).pointee)
    }

    @inlinable
    static func equalInPlace<E: Equatable>(_ lhs: inout E, _ rhs: inout E) -> Bool {
        lhs == rhs
    }
}

/// `Value.self` seen as an `Equatable` metatype.
@usableFromInline
struct EquatableConformance: @unchecked Sendable {
    // @unchecked: a metatype and its conformance are immutable runtime data, safe to use from
    // any thread; the compiler cannot prove it because `Equatable` does not refine `SendableMetatype`.
    @usableFromInline let type: any Equatable.Type
}
