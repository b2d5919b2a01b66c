import Dispatch
import Zestor

/// Runs `operations` reads of `keys` from a detached task (not the main actor), with
/// `get(orLoad:)` when `loading` and `get` otherwise, and returns their checksum. Blocks the
/// calling thread until the task is done.
func asyncReads(_ store: MemoryStore<BenchValue>, _ keys: [String], operations: Int, loading: Bool) -> Int {
    let done = DispatchSemaphore(value: 0)
    let result = Box()
    Task.detached {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var checksum = 0
        for _ in 0..<operations {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            let key = keys[Int(state % 100_000)]
            let value: BenchValue? = loading
                ? (try? await store.get("bench", key, orLoad: { _ in BenchValue(name: "loaded", n: 0) })) ?? nil
                : (try? store.get("bench", key)) ?? nil
            checksum &+= value?.n ?? 0
        }
        result.value = checksum
        done.signal()
    }
    done.wait()
    return result.value
}

/// The checksum handed from the task to the waiting thread (the semaphore orders the accesses).
final class Box: @unchecked Sendable {
    var value = 0
}
