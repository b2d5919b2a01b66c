import Foundation
import Zestor

/// The value of Benchmarks/README.md.
struct BenchValue: Codable, Equatable, Sendable {
    var name: String
    var n: Int
}

// Usage: CallgrindDriver <get_hit|set_update> <ops>
// Preloads the 100,000 keys of Benchmarks/README.md, then runs <ops> operations on keys drawn
// by xorshift, synchronously on the main thread (no threads, no dispatch: valgrind-friendly).
// Instructions per operation = (count at <ops>) - (count at 0), divided by <ops>.
let arguments = CommandLine.arguments
guard arguments.count == 3, let operations = Int(arguments[2]), ["get_hit", "set_update"].contains(arguments[1]) else {
    print("usage: CallgrindDriver <get_hit|set_update> <ops>")
    exit(2)
}
let store = MemoryStore<BenchValue>()
let keys = (0..<100_000).map { "key-\($0)" }
for (index, key) in keys.enumerated() { try store.set("bench", key, BenchValue(name: "v", n: index)) }
var state: UInt64 = 0x9E37_79B9_7F4A_7C15
var checksum = 0
let reads = arguments[1] == "get_hit"
for index in 0..<operations {
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    let key = keys[Int(state % 100_000)]
    if reads {
        checksum &+= try store.get("bench", key)?.n ?? 0
    } else {
        try store.set("bench", key, BenchValue(name: "v", n: 1_000_000 + index))
    }
}
print("checksum \(checksum)")
