import Testing
import Zestor
import ZestorConformance

/// Proof that the durability suite can fail: deliberately broken backends fail the cases that
/// pin the rule they break, and the same backend without faults passes everything.
@Suite("The durability suite catches broken backends")
struct DurabilitySuiteCatchesFaultsTests {
    /// A suite whose every storage is a ``FaultyStorage`` committing `faults`.
    private static func suite(_ faults: Set<BackendFault>) -> DurabilitySuite {
        DurabilitySuite {
            let storage = FaultyStorage(faults: faults)
            return DurableStorage { mode, options in
                try await DurableStore<ConformanceValue>.open(backend: FaultyBackend(storage), mode: mode, options: options)
            }
        }
    }

    @Test("A correct backend outside Zestor passes every case", arguments: DurabilityCase.allCases)
    func faultFreeBackendPasses(_ testCase: DurabilityCase) async throws {
        try await Self.suite([]).run(testCase)
    }

    @Test("A broken backend fails the case pinning the rule it breaks", arguments: [
        (BackendFault.dropsVersions, DurabilityCase.roundTrip),
        (.dropsVersions, .secondStoreSeesWrites),
        (.ignoresDeletes, .roundTrip),
        (.ignoresDeletes, .secondStoreSeesWrites),
        (.normalizesUnicode, .hostileInput),
        (.visibleOnlyAfterClose, .secondStoreSeesWrites),
        (.overwritesNewerRows, .lostRaceIsRefreshed),
        (.dropsExpiry, .expiryRoundTrip),
        (.ignoresDeletes, .expiryRoundTrip),
        (.ignoresDeletes, .evictionsPersisted),
    ])
    func brokenBackendFails(_ fault: BackendFault, _ testCase: DurabilityCase) async throws {
        let failure = await #expect(throws: DurabilityFailure.self) {
            try await Self.suite([fault]).run(testCase)
        }
        #expect(failure?.testCase == testCase)
        if let failure { print("\(fault) → \(failure)") }
    }

    @Test("A broken backend still passes the cases its fault does not touch", arguments: [
        (BackendFault.dropsVersions, DurabilityCase.hostileInput),
        (.normalizesUnicode, .roundTrip),
        (.visibleOnlyAfterClose, .roundTrip),
        (.visibleOnlyAfterClose, .hostileInput),
        (.overwritesNewerRows, .roundTrip),
        (.dropsExpiry, .roundTrip),
        (.dropsExpiry, .evictionsPersisted),
    ])
    func brokenBackendPassesUnrelatedCases(_ fault: BackendFault, _ testCase: DurabilityCase) async throws {
        try await Self.suite([fault]).run(testCase)
    }
}
