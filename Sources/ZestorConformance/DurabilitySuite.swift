/// The reusable durability suite every `PersistenceBackend` must pass, run through
/// `DurableStore`.
///
/// Give it a factory for fresh, empty storages (see ``DurableStorage``) and run its cases from
/// any test framework:
///
/// ```swift
/// let suite = DurabilitySuite {
///     let path = temporaryPath()
///     return DurableStorage(open: { mode, options in
///         try await DurableStore<ConformanceValue>.open(backend: try MyBackend(path: path), mode: mode,
///                                                       options: options)
///     }, remove: { try FileManager.default.removeItem(atPath: path) })
/// }
/// try await suite.run(.roundTrip)
/// ```
///
/// Each case runs in both write modes, each on a storage of its own, and closes its stores and
/// removes the storage when done. Each run is bounded by ``timeout``, so a store that hangs
/// fails instead of blocking the test run.
public struct DurabilitySuite: Sendable {
    /// Makes a fresh, empty storage.
    public typealias Factory = @Sendable () async throws -> DurableStorage

    /// The longest one case may take in one write mode.
    public let timeout: Duration
    let makeStorage: Factory

    /// Creates a suite.
    /// - Parameters:
    ///   - timeout: the bound on one case in one write mode.
    ///   - makeStorage: makes a fresh, empty storage; called once per case and write mode.
    public init(timeout: Duration = .seconds(120), makeStorage: @escaping Factory) {
        self.timeout = timeout
        self.makeStorage = makeStorage
    }

    /// Runs one case, in write-through mode and then in write-behind mode.
    /// - Throws: ``DurabilityFailure`` describing the first violation found (an unexpected error
    ///   from the store or the storage is reported as a failure too).
    public func run(_ testCase: DurabilityCase) async throws(DurabilityFailure) {
        for mode in DurabilityMode.allCases {
            let context = DurabilityContext(testCase: testCase, mode: mode, suite: self)
            do {
                let failure = context.fail("the case to finish within \(timeout)",
                                           saw: "it had not finished when the time ran out (hung?)")
                try await withTimeout(timeout, onTimeout: { failure }) { try await context.run() }
            } catch {
                if let failure = error as? DurabilityFailure { throw failure }
                throw context.fail("every call that the case does not expect to fail to succeed",
                                   saw: "unexpected error \(type(of: error)): \(error)")
            }
        }
    }

    /// Runs every case in declaration order.
    /// - Throws: the first ``DurabilityFailure``; later cases are not run.
    public func runAll() async throws(DurabilityFailure) {
        for testCase in DurabilityCase.allCases {
            try await run(testCase)
        }
    }
}

extension DurabilityContext {
    /// Dispatches to the case's body.
    func run() async throws {
        switch testCase {
        case .roundTrip: try await roundTrip()
        case .hostileInput: try await hostileInput()
        case .secondStoreSeesWrites: try await secondStoreSeesWrites()
        case .lostRaceIsRefreshed: try await lostRaceIsRefreshed()
        case .expiryRoundTrip: try await expiryRoundTrip()
        case .evictionsPersisted: try await evictionsPersisted()
        case .compareAndSetAcrossStores: try await compareAndSetAcrossStores()
        }
    }
}
