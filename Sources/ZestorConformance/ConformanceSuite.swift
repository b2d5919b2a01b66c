public import Zestor

/// The reusable conformance suite every `Store` must pass.
///
/// Give it a factory for fresh stores and run its cases from any test framework:
///
/// ```swift
/// let suite = ConformanceSuite { options in MemoryStore<ConformanceValue>(options: options) }
/// try await suite.run(.watchOrdering)
/// ```
///
/// Each case makes its own stores (possibly several, each with the options it needs) and
/// closes them when done. Every wait is bounded by ``timeout``, so a store that hangs fails
/// instead of blocking the test run.
public struct ConformanceSuite: Sendable {
    /// Makes a fresh, empty store configured with the given options.
    public typealias Factory = @Sendable (StoreOptions<ConformanceValue>) async throws -> any Store<ConformanceValue>

    /// How many times the racy cases repeat.
    public let rounds: Int
    /// The longest any single wait (a read from a watch, a batch of writes) may take.
    public let timeout: Duration
    let makeStore: Factory

    /// Creates a suite.
    /// - Parameters:
    ///   - rounds: how many times the racy cases repeat (at least 1).
    ///   - timeout: the bound on every wait.
    ///   - makeStore: makes a fresh, empty store; called once or more per case.
    public init(rounds: Int = 20, timeout: Duration = .seconds(10), makeStore: @escaping Factory) {
        self.rounds = max(1, rounds)
        self.timeout = timeout
        self.makeStore = makeStore
    }

    /// Runs one case.
    /// - Throws: ``ConformanceFailure`` describing the first violation found (an unexpected
    ///   error from the store is reported as a failure too).
    public func run(_ testCase: ConformanceCase) async throws(ConformanceFailure) {
        let context = CaseContext(testCase: testCase, suite: self)
        do {
            try await context.run()
        } catch {
            if let failure = error as? ConformanceFailure { throw failure }
            throw context.fail("every call that the case does not expect to fail to succeed",
                               saw: "unexpected error \(type(of: error)): \(error)")
        }
    }

    /// Runs every case that applies to `Store`s (``ConformanceCase/storeCases``) in declaration
    /// order, the ``ConformanceCase/cachingCases`` too when `includingCaching`, the
    /// ``ConformanceCase/versionedCases`` when `includingVersioned`, and the
    /// ``ConformanceCase/snapshotCases`` when `includingSnapshots`, and the
    /// ``ConformanceCase/indexCases`` when `includingIndexes`.
    /// - Throws: the first ``ConformanceFailure``; later cases are not run.
    public func runAll(includingCaching: Bool = false, includingVersioned: Bool = false,
                       includingSnapshots: Bool = false, includingIndexes: Bool = false) async throws(ConformanceFailure) {
        for testCase in ConformanceCase.allCases {
            if ConformanceCase.cachingCases.contains(testCase) && !includingCaching { continue }
            if ConformanceCase.versionedCases.contains(testCase) && !includingVersioned { continue }
            if ConformanceCase.snapshotCases.contains(testCase) && !includingSnapshots { continue }
            if ConformanceCase.indexCases.contains(testCase) && !includingIndexes { continue }
            try await run(testCase)
        }
    }
}

extension CaseContext {
    /// Dispatches to the case's body.
    func run() async throws {
        switch testCase {
        case .missingKeyReadsNil: try await missingKeyReadsNil()
        case .kindsIsolated: try await kindsIsolated()
        case .emptyKindReads: try await emptyKindReads()
        case .readersAgree: try await readersAgree()
        case .listFilters: try await listFilters()
        case .setResults: try await setResults()
        case .unchangedWritesEmitNothing: try await unchangedWritesEmitNothing()
        case .updateTransforms: try await updateTransforms()
        case .updateMissingKey: try await updateMissingKey()
        case .updateThrowingTransform: try await updateThrowingTransform()
        case .updateUnchanged: try await updateUnchanged()
        case .setManyMerges: try await setManyMerges()
        case .setManySkipsUnchanged: try await setManySkipsUnchanged()
        case .setManyKeyOrder: try await setManyKeyOrder()
        case .setManyValidatorAtomic: try await setManyValidatorAtomic()
        case .deleteReturnsPrevious: try await deleteReturnsPrevious()
        case .validatorsPerKind: try await validatorsPerKind()
        case .isEquivalentCustom: try await isEquivalentCustom()
        case .isEquivalentDefault: try await isEquivalentDefault()
        case .cancelledTask: try await cancelledTask()
        case .kindRequired: try await kindRequired()
        case .closeIdempotent: try await closeIdempotent()
        case .closedOperationsThrow: try await closedOperationsThrow()
        case .closeEndsWatch: try await closeEndsWatch()
        case .cancelEndsWatch: try await cancelEndsWatch()
        case .singleConsumer: try await singleConsumer()
        case .taskCancellationEndsWatch: try await taskCancellationEndsWatch()
        case .watchOrdering: try await watchOrdering()
        case .replayPrecedesLive: try await replayPrecedesLive()
        case .overflow: try await overflow()
        case .overflowWithFilter: try await overflowWithFilter()
        case .eventTypeFilter: try await eventTypeFilter()
        case .sequenceIncreasing: try await sequenceIncreasing()
        case .expiryHidesEntries: try await expiryHidesEntries()
        case .expiryRemovalEvents: try await expiryRemovalEvents()
        case .expirationReplacedOrKept: try await expirationReplacedOrKept()
        case .cacheInputOutOfRange: try await cacheInputOutOfRange()
        case .capacityBound: try await capacityBound()
        case .scanResistance: try await scanResistance()
        case .loadOnce: try await loadOnce()
        case .loadFailureAndNil: try await loadFailureAndNil()
        case .writeWinsOverLoad: try await writeWinsOverLoad()
        case .loadWaiterCancellation: try await loadWaiterCancellation()
        case .cacheStatistics: try await cacheStatistics()
        case .negativeCaching: try await negativeCaching()
        case .compareAndSetVersions: try await compareAndSetVersions()
        case .compareAndDeleteVersions: try await compareAndDeleteVersions()
        case .compareAndSetRace: try await compareAndSetRace()
        case .snapshotIsPointInTime: try await snapshotIsPointInTime()
        case .snapshotConsistentUnderWrites: try await snapshotConsistentUnderWrites()
        case .indexQueries: try await indexQueries()
        case .uniqueIndexes: try await uniqueIndexes()
        case .indexesMatchModel: try await indexesMatchModel()
        case .indexQueriesConsistentUnderWrites: try await indexQueriesConsistentUnderWrites()
        }
    }
}
