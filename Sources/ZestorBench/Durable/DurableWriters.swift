import Zestor

/// The measured loop of the durable `set_update`: concurrent writer Tasks in a task group.
enum DurableWriters {
    /// Runs `writers` Tasks, each setting random existing keys to values that differ (n is a
    /// counter starting at `counterBase`, offset per writer) until `seconds` have passed; with
    /// `flush`, then flushes. Returns the completed sets and the elapsed time, flush included.
    static func setUpdate(_ store: DurableStore<BenchValue>, writers: Int, keys: [String], seconds: Double,
                          counterBase: Int, flush: Bool) async throws -> (ops: Int, seconds: Double) {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .seconds(seconds)
        let ops = try await withThrowingTaskGroup(of: Int.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var random = XorShift(seed: UInt64(writer + 1) &* 0x9E37_79B9)
                    var counter = counterBase + writer << 40
                    var ops = 0
                    // The clock, not another Task, ends the loop: writers that never suspend
                    // could keep a stop Task from ever running.
                    while clock.now < deadline {
                        counter += 1
                        let result = try await store.set(BenchData.kind, keys[random.index(below: keys.count)],
                                                         BenchValue(name: "v", n: counter))
                        precondition(result == .updated, "durable set_update did not update")
                        ops += 1
                    }
                    return ops
                }
            }
            return try await group.reduce(0, +)
        }
        if flush { try await store.flush() }
        let elapsed = clock.now - start
        return (ops, elapsed.inSeconds)
    }
}
