/// A violation of durability found by ``DurabilitySuite``.
///
/// ``DurabilitySuite/run(_:)`` throws nothing else: an unexpected error from the store or the
/// storage is reported as a failure too.
public struct DurabilityFailure: Error, Sendable, CustomStringConvertible {
    /// The case that found the violation.
    public let testCase: DurabilityCase
    /// The write mode the case was running in: `write-through` or `write-behind`.
    public let mode: String
    /// What durability requires.
    public let expected: String
    /// What the store did instead.
    public let observed: String

    /// Creates a failure.
    public init(testCase: DurabilityCase, mode: String, expected: String, observed: String) {
        self.testCase = testCase
        self.mode = mode
        self.expected = expected
        self.observed = observed
    }

    /// One readable line: the case, the mode, what was expected and what was seen.
    public var description: String {
        "durability case '\(testCase.rawValue)' (\(mode)) failed: expected \(expected); saw \(observed)"
    }
}
