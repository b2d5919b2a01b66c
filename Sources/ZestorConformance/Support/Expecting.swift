/// A case context that can report a violation; the expectation helpers build on ``fail(_:saw:)``.
protocol Expecting {
    associatedtype Failure: Error
    /// A failure naming what the contract requires and what the store did instead.
    func fail(_ expected: String, saw observed: String) -> Failure
}

extension Expecting {
    /// Throws unless `condition` holds.
    func expect(_ condition: Bool, _ expected: @autoclosure () -> String, saw observed: @autoclosure () -> String) throws {
        if !condition { throw fail(expected(), saw: observed()) }
    }

    /// Throws unless `value` equals `expected`.
    func expectEqual<T: Equatable>(_ value: T, _ expected: T, _ what: String) throws {
        if value != expected {
            throw fail("\(what) to be \(describe(expected))", saw: describe(value))
        }
    }
}
