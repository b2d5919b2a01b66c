import Foundation
import Zestor

/// The value of Benchmarks/README.md.
struct BenchValue: Codable, Equatable, Sendable {
    var name: String
    var n: Int
}

// Usage: CallgrindDriver <workload> <ops>
// Preloads the 100,000 keys of Benchmarks/README.md, then runs <ops> operations on keys drawn
// by xorshift, synchronously on the main thread (no threads, no dispatch: valgrind-friendly).
// Instructions per operation = (count at <ops>) - (count at 0), divided by <ops>.
// Workloads: get_hit, set_update (a plain kind); get_hit_bounded, set_update_bounded (a kind
// bounded to 100,000); get_hit_ttl, set_update_ttl (a kind whose entries live an hour);
// get_or_load_hit and get_hit_async (`get(orLoad:)` and `get` of present keys from a task).
let workloads: [String: CacheOptions?] = [
    "get_hit": nil, "set_update": nil,
    "get_hit_bounded": try CacheOptions(capacity: 100_000), "set_update_bounded": try CacheOptions(capacity: 100_000),
    "get_hit_ttl": try CacheOptions(timeToLive: .seconds(3600)), "set_update_ttl": try CacheOptions(timeToLive: .seconds(3600)),
    "get_or_load_hit": try CacheOptions(), "get_hit_async": try CacheOptions(),
]
let arguments = CommandLine.arguments
guard arguments.count == 3, let operations = Int(arguments[2]), let cache = workloads[arguments[1]] else {
    print("usage: CallgrindDriver <\(workloads.keys.sorted().joined(separator: "|"))> <ops>")
    exit(2)
}
let store = MemoryStore<BenchValue>(options: StoreOptions(caches: cache.map { ["bench": $0] } ?? [:]))
let keys = (0..<100_000).map { "key-\($0)" }
for (index, key) in keys.enumerated() { try store.set("bench", key, BenchValue(name: "v", n: index)) }
var state: UInt64 = 0x9E37_79B9_7F4A_7C15
var checksum = 0
let reads = arguments[1].hasPrefix("get_hit")
if arguments[1] == "get_or_load_hit" || arguments[1] == "get_hit_async" {
    print("checksum \(asyncReads(store, keys, operations: operations, loading: arguments[1] == "get_or_load_hit"))")
    exit(0)
}
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
