import Testing
import Zestor
import ZestorConformance

/// Options out of their documented range throw `StoreError.outOfRange` naming the option, and
/// nothing is opened or subscribed.
@Suite("Options out of range")
struct OptionRangeTests {
    @Test("a write-behind policy out of range fails open before anything is loaded")
    func writeBehindPolicy() async throws {
        let cases: [(WriteBehindPolicy, StoreError)] = [
            (WriteBehindPolicy(maxBatch: 0),
             .outOfRange(parameter: "WriteBehindPolicy.maxBatch", value: "0", requirement: "at least 1")),
            (WriteBehindPolicy(maxPending: -3),
             .outOfRange(parameter: "WriteBehindPolicy.maxPending", value: "-3", requirement: "at least 1")),
            (WriteBehindPolicy(maxDelay: .milliseconds(-1)),
             .outOfRange(parameter: "WriteBehindPolicy.maxDelay", value: "\(Duration.milliseconds(-1))",
                         requirement: "zero or more")),
        ]
        for (policy, expected) in cases {
            let backend = InMemoryBackend()
            await #expect(throws: expected) {
                _ = try await DurableStore<ConformanceValue>.open(backend: backend, mode: .writeBehind(policy))
            }
        }
    }

    @Test("a watch buffer below 1 subscribes nothing")
    func watchBuffer() throws {
        let store = MemoryStore<Int>()
        #expect(throws: StoreError.outOfRange(parameter: "WatchOptions.bufferSize", value: "-1", requirement: "at least 1")) {
            _ = try store.watch("k", options: WatchOptions(bufferSize: -1))
        }
        #expect(store.watcherCount("k") == 0)
    }
}
