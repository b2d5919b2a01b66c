/// The one rule for options and arguments with a documented range: outside it, throw
/// ``StoreError/outOfRange(parameter:value:requirement:)`` before doing anything (never clamp).
/// Shared by the backend modules of this package (`package` access).
package enum RangeCheck {
    /// `value` must be at least `minimum`.
    package static func atLeast(_ minimum: Int, _ value: Int, _ parameter: String) throws(StoreError) {
        guard value >= minimum else {
            throw .outOfRange(parameter: parameter, value: String(value), requirement: "at least \(minimum)")
        }
    }

    /// `value` must be greater than zero.
    package static func positive(_ value: Duration, _ parameter: String) throws(StoreError) {
        guard value > .zero else {
            throw .outOfRange(parameter: parameter, value: "\(value)", requirement: "greater than zero")
        }
    }

    /// `value` must not be negative.
    package static func nonNegative(_ value: Duration, _ parameter: String) throws(StoreError) {
        guard value >= .zero else {
            throw .outOfRange(parameter: parameter, value: "\(value)", requirement: "zero or more")
        }
    }
}
