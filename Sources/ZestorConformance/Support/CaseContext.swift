import Zestor

/// What a case body works with: its name (for failures), the suite's settings, and the
/// expectation helpers.
struct CaseContext: Sendable, Expecting {
    let testCase: ConformanceCase
    let suite: ConformanceSuite

    var rounds: Int { suite.rounds }

    // MARK: Failures

    /// A failure of this case.
    func fail(_ expected: String, saw observed: String) -> ConformanceFailure {
        ConformanceFailure(testCase: testCase, expected: expected, observed: observed)
    }

    /// Throws unless `body` throws exactly `expected`.
    func expectError<E: Error & Equatable, T>(
        _ expected: E, _ what: String, _ body: () async throws -> T
    ) async throws {
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        switch outcome {
        case .success(let value):
            throw fail("\(what) to throw \(expected)", saw: "it returned \(describe(value))")
        case .failure(let error as E) where error == expected:
            return
        case .failure(let error):
            throw fail("\(what) to throw \(type(of: expected)).\(expected)", saw: "\(type(of: error)): \(error)")
        }
    }

    // MARK: Stores

    /// Makes a fresh store, runs `body` with it and closes it afterwards (also on failure).
    func withStore<T>(
        _ options: StoreOptions<ConformanceValue> = .init(),
        _ body: (any Store<ConformanceValue>) async throws -> T
    ) async throws -> T {
        let store = try await suite.makeStore(options)
        let result: Result<T, any Error>
        do { result = .success(try await body(store)) } catch { result = .failure(error) }
        _ = try? await timed("closing the store after the case") { try await store.close() }
        return try result.get()
    }

    /// ``withStore(_:_:)`` for a store that must also conform to a capability protocol
    /// (`Capability` is an existential such as `any CachingStore<ConformanceValue>`); a store
    /// that does not fails the case.
    func withStore<Capability, T>(
        _ options: StoreOptions<ConformanceValue>, as capability: Capability.Type,
        _ body: (Capability) async throws -> T
    ) async throws -> T {
        try await withStore(options) { store in
            guard let capable = store as? Capability else {
                throw fail("a store conforming to \(capability)", saw: "\(type(of: store))")
            }
            return try await body(capable)
        }
    }

    // MARK: Time

    /// Runs `operation` within the suite's timeout; on timeout throws a failure naming `what`.
    func timed<T: Sendable>(_ what: String, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let failure = fail("\(what) within \(suite.timeout)", saw: "it had not finished when the time ran out (hung?)")
        return try await withTimeout(suite.timeout, onTimeout: { failure }, operation)
    }

    /// Gives other tasks (a reader about to suspend, a writer under way) time to get there.
    func settle() async throws {
        try await Task.sleep(for: .milliseconds(30))
    }

    /// Waits (bounded) until `counter` reaches `target`.
    func waitFor(_ counter: Counter, toReach target: Int, _ what: String) async throws {
        try await timed(what) {
            while counter.value < target { try await Task.sleep(for: .microseconds(100)) }
        }
    }

    /// Runs `body` in a task that is already cancelled when the body starts, and returns its outcome.
    func inCancelledTask<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> Result<T, any Error> {
        let task = Task { () async -> Result<T, any Error> in
            withUnsafeCurrentTask { $0?.cancel() }
            do { return .success(try await body()) } catch { return .failure(error) }
        }
        return try await timed(what) { await task.value }
    }
}

/// A readable rendering of any value; optionals print as their payload or `nil`.
func describe<T>(_ value: T) -> String {
    if let optional = value as? any OptionalDescribing { return optional.describedPayload }
    return String(describing: value)
}

/// Lets ``describe(_:)`` unwrap optionals.
protocol OptionalDescribing {
    var describedPayload: String { get }
}

extension Optional: OptionalDescribing {
    var describedPayload: String {
        switch self {
        case .some(let wrapped): describe(wrapped)
        case .none: "nil"
        }
    }
}
