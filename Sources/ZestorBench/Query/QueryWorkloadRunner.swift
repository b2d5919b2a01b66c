import Zestor

/// Runs the query workloads on a `MemoryStore` of ``QueryValue``s, each query interleaved with
/// its baseline where it has one (in the same process and run).
struct QueryWorkloadRunner {
    let duration: Double
    let slices: Int
    let shardCount: Int?
    let progress: @Sendable (String) -> Void

    static let kind = "users"

    /// A store holding the 100,000 values, with the two indexes when `indexed`.
    private func makeStore(indexed: Bool) throws -> (MemoryStore<QueryValue>, Index<QueryValue, Int>?,
                                                     Index<QueryValue, IndexKey2<String, Int>>?) {
        let store = shardCount.map { MemoryStore<QueryValue>(shardCount: $0) } ?? MemoryStore<QueryValue>()
        for n in 0..<QueryValue.count { try store.set(Self.kind, "user-\(n)", QueryValue(n)) }
        guard indexed else { return (store, nil, nil) }
        let age = try store.createIndex(Self.kind, "age") { $0.age }
        let cityAge = try store.createIndex(Self.kind, "city_age") { IndexKey2($0.city, $0.age) }
        return (store, age, cityAge)
    }

    /// Runs `workload` at `threads` threads; returns its measurements (with the reference of
    /// `set_update_2_indexes`).
    func run(_ workload: QueryWorkload, threads: Int) async throws -> [Measurement] {
        let (store, age, cityAge) = try makeStore(indexed: true)
        let sliceSeconds = duration / Double(slices)
        var measured = (ops: 0, seconds: 0.0), reference = (ops: 0, seconds: 0.0)
        let plain = workload == .setUpdate2Indexes ? try makeStore(indexed: false).0 : nil
        for slice in 0..<slices {
            progress("\(workload.rawValue) ×\(threads) (\(slice + 1)/\(slices))")
            let result = await measure(workload, store, age!, cityAge!, threads: threads, seconds: sliceSeconds)
            measured.ops += result.ops
            measured.seconds += result.seconds
            if let plain {
                progress("\(QueryWorkload.setUpdateReference) ×\(threads) (\(slice + 1)/\(slices))")
                let base = await ThreadRunner.run(threads: threads, seconds: sliceSeconds) { thread, stop in
                    Self.setUpdate(plain, thread: thread, stop: stop)
                }
                reference.ops += base.ops
                reference.seconds += base.seconds
            }
        }
        var measurements = [Measurement(subject: "memory", workload: workload.rawValue, threads: threads,
                                        opsPerSecond: Double(measured.ops) / measured.seconds)]
        if plain != nil {
            measurements.append(Measurement(subject: "memory", workload: QueryWorkload.setUpdateReference, threads: threads,
                                            opsPerSecond: Double(reference.ops) / reference.seconds))
        }
        return measurements
    }

    private func measure(_ workload: QueryWorkload, _ store: MemoryStore<QueryValue>, _ age: Index<QueryValue, Int>,
                         _ cityAge: Index<QueryValue, IndexKey2<String, Int>>, threads: Int,
                         seconds: Double) async -> (ops: Int, seconds: Double) {
        await ThreadRunner.run(threads: threads, seconds: seconds) { thread, stop in
            var random = XorShift(seed: UInt64(thread + 1) &* 0x9E37_79B9)
            var ops = 0
            while !stop.isStopped {
                switch workload {
                case .indexLookup:
                    let k = random.index(below: 100)
                    precondition((try? store.lookup(age, equals: k).count) == 1_000, "index_lookup: wrong count")
                case .listScanLookup:
                    let k = random.index(below: 100)
                    let found = try? store.list(Self.kind, where: [{ _, value in value.age == k }])
                    precondition(found?.count == 1_000, "list_scan_lookup: wrong count")
                case .indexRange:
                    let k = random.index(below: 91)
                    precondition((try? store.range(age, k...(k + 9)).count) == 10_000, "index_range: wrong count")
                case .indexComposite:
                    let key = IndexKey2(QueryValue.cities[random.index(below: 50)], random.index(below: 100))
                    precondition((try? store.lookup(cityAge, equals: key).count) == 20, "index_composite: wrong count")
                case .indexPrefix:
                    let city = QueryValue.cities[random.index(below: 50)]
                    precondition((try? store.range(cityAge, IndexBounds.prefix(city)).count) == 2_000, "index_prefix: wrong count")
                case .setUpdate2Indexes:
                    return Self.setUpdate(store, thread: thread, stop: stop)
                case .createIndex100k:
                    let index = try? store.createIndex(Self.kind, "scratch") { $0.age }
                    precondition(index != nil, "create_index_100k: createIndex failed")
                    try? store.dropIndex(Self.kind, "scratch")
                }
                ops += 1
            }
            return ops
        }
    }

    /// set_update changing the age of random keys (so both indexes move), in batches.
    static func setUpdate(_ store: MemoryStore<QueryValue>, thread: Int, stop: ThreadRunner.StopSignal) -> Int {
        var random = XorShift(seed: UInt64(thread + 7) &* 0x9E37_79B9)
        var ops = 0, counter = thread
        while !stop.isStopped {
            for _ in 0..<WorkloadLoops.batch {
                let n = random.index(below: QueryValue.count)
                var value = QueryValue(n)
                counter &+= 1
                value.age = counter % 100
                _ = try? store.set(kind, value.name, value)
            }
            ops += WorkloadLoops.batch
        }
        return ops
    }
}
