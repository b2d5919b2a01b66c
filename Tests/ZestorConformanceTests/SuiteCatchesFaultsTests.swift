import Testing
import Zestor
import ZestorConformance

/// Proof that the suite can fail: deliberately broken stores fail the cases that pin the rule
/// they break, and the same wrapper without faults passes everything.
@Suite("The conformance suite catches broken stores")
struct SuiteCatchesFaultsTests {
    /// A suite over ``FaultyStore`` committing `faults`.
    private static func suite(_ faults: Set<Fault>) -> ConformanceSuite {
        ConformanceSuite(rounds: 20) { options in
            FaultyStore(options: options, faults: faults)
        }
    }

    @Test("A correct store outside Zestor (public Watch initializer) passes every case",
          arguments: ConformanceCase.storeCases)
    func faultFreeWrapperPasses(_ testCase: ConformanceCase) async throws {
        try await Self.suite([]).run(testCase)
    }

    @Test("A broken store fails the case pinning the rule it breaks", arguments: [
        (Fault.lateReplay, ConformanceCase.replayPrecedesLive),
        (.earlyReplay, .replayPrecedesLive),
        (.changeBlind, .setResults),
        (.changeBlind, .unchangedWritesEmitNothing),
        (.changeBlind, .isEquivalentDefault),
        (.changeBlind, .isEquivalentCustom),
        (.changeBlind, .setManySkipsUnchanged),
        (.swallowOverflow, .overflow),
        (.swallowOverflow, .overflowWithFilter),
        (.splitSetMany, .setManyValidatorAtomic),
        (.ignoresCancellation, .cancelledTask),
    ])
    func brokenStoreFails(_ fault: Fault, _ testCase: ConformanceCase) async throws {
        let failure = await #expect(throws: ConformanceFailure.self) {
            try await Self.suite([fault]).run(testCase)
        }
        #expect(failure?.testCase == testCase)
        if let failure { print("\(fault) → \(failure)") }
    }

    @Test("A broken store still passes the cases its fault does not touch", arguments: [
        (Fault.lateReplay, ConformanceCase.watchOrdering),
        (.swallowOverflow, .sequenceIncreasing),
        (.splitSetMany, .setManyKeyOrder),
        (.changeBlind, .deleteReturnsPrevious),
    ])
    func brokenStorePassesUnrelatedCases(_ fault: Fault, _ testCase: ConformanceCase) async throws {
        try await Self.suite([fault]).run(testCase)
    }
}
