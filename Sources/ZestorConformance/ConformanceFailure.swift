/// A violation of the store contract found by ``ConformanceSuite``.
///
/// ``ConformanceSuite/run(_:)`` throws nothing else: an unexpected error from the store under
/// test is reported as a failure too.
public struct ConformanceFailure: Error, Sendable, CustomStringConvertible {
    /// The case that found the violation.
    public let testCase: ConformanceCase
    /// What the contract requires.
    public let expected: String
    /// What the store did instead.
    public let observed: String

    /// Creates a failure.
    public init(testCase: ConformanceCase, expected: String, observed: String) {
        self.testCase = testCase
        self.expected = expected
        self.observed = observed
    }

    /// One readable line: the case, what was expected and what was seen.
    public var description: String {
        "conformance case '\(testCase.rawValue)' failed: expected \(expected); saw \(observed)"
    }
}
