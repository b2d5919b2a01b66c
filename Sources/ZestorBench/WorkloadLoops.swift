/// The measured loops, generic over the subject so every call is specialized.
/// Each returns the number of operations it performed; loops poll the stop signal every 256 ops.
enum WorkloadLoops {
    static let batch = 256

    static func getHit<S: BenchSubject>(_ subject: S, _ keys: [String], seed: UInt64, stop: ThreadRunner.StopSignal) -> Int {
        var random = XorShift(seed: seed)
        var ops = 0, hits = 0
        while !stop.isStopped {
            for _ in 0..<batch where subject.get(keys[random.index(below: keys.count)]) != nil { hits += 1 }
            ops += batch
        }
        precondition(hits == ops, "\(subject.name): get_hit missed")
        return ops
    }

    static func getMiss<S: BenchSubject>(_ subject: S, _ keys: [String], seed: UInt64, stop: ThreadRunner.StopSignal) -> Int {
        var random = XorShift(seed: seed)
        var ops = 0, hits = 0
        while !stop.isStopped {
            for _ in 0..<batch where subject.get(keys[random.index(below: keys.count)]) != nil { hits += 1 }
            ops += batch
        }
        precondition(hits == 0, "\(subject.name): get_miss hit")
        return ops
    }

    /// Sets random existing keys to values that differ from the stored ones (`n` is a running
    /// counter, offset per thread so two threads never write the same `n`).
    static func setUpdate<S: BenchSubject>(_ subject: S, _ keys: [String], seed: UInt64, stop: ThreadRunner.StopSignal) -> Int {
        var random = XorShift(seed: seed)
        var counter = Int(truncatingIfNeeded: seed << 40)
        var ops = 0
        while !stop.isStopped {
            for _ in 0..<batch {
                counter &+= 1
                subject.set(keys[random.index(below: keys.count)], BenchValue(name: "v", n: counter))
            }
            ops += batch
        }
        return ops
    }

    /// Inserts never-used keys, at most `keys.count`.
    static func setInsert<S: BenchSubject>(_ subject: S, _ keys: [String], stop: ThreadRunner.StopSignal) -> Int {
        var ops = 0
        while !stop.isStopped && ops < keys.count {
            let end = min(ops + batch, keys.count)
            for index in ops..<end { subject.set(keys[index], BenchValue(name: "v", n: index)) }
            ops = end
        }
        return ops
    }

    /// 90% get_hit, 10% set_update.
    static func mixed<S: BenchSubject>(_ subject: S, _ keys: [String], seed: UInt64, stop: ThreadRunner.StopSignal) -> Int {
        var random = XorShift(seed: seed)
        var counter = Int(truncatingIfNeeded: seed << 40)
        var ops = 0, hits = 0
        while !stop.isStopped {
            for _ in 0..<batch {
                let value = random.next()
                let key = keys[Int(truncatingIfNeeded: ((value >> 32) &* UInt64(keys.count)) >> 32)]
                if value & 0xFFFF < 6554 {
                    counter &+= 1
                    subject.set(key, BenchValue(name: "v", n: counter))
                } else if subject.get(key) != nil {
                    hits += 1
                }
            }
            ops += batch
        }
        precondition(hits > 0 || ops == 0, "\(subject.name): mixed never hit")
        return ops
    }

    /// A read of the whole kind (`read`: `list` or `snapshotIterate`) per op, each checked to
    /// find `expected` entries.
    static func wholeKind<S: BenchSubject>(_ subject: S, expected: Int, stop: ThreadRunner.StopSignal,
                                           _ read: (S) -> Int) -> Int {
        var ops = 0
        while !stop.isStopped {
            precondition(read(subject) == expected, "\(subject.name): a whole-kind read found a wrong count")
            ops += 1
        }
        return ops
    }

    static func count<S: BenchSubject>(_ subject: S, expected: Int, stop: ThreadRunner.StopSignal) -> Int {
        var ops = 0
        while !stop.isStopped {
            for _ in 0..<batch where subject.count() != expected {
                preconditionFailure("\(subject.name): count returned a wrong value")
            }
            ops += batch
        }
        return ops
    }
}
