import Foundation

/// Decodes loaded rows on dedicated threads (never the cooperative pool), one per core.
enum ParallelDecoder {
    enum Outcome<Value> {
        case decoded(PersistedRow, Value)
        case failed(PersistedRow, any Error)
    }

    static func decode<Value: Sendable>(_ rows: [PersistedRow], with codec: some Codec<Value>) async -> [Outcome<Value>] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, rows.count / 2_000))
        let chunk = (rows.count + workers - 1) / max(1, workers)
        let results = Locked<[Int: [Outcome<Value>]]>([:])
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let group = DispatchGroup()
            for worker in 0..<workers {
                let range = (worker * chunk)..<min(rows.count, (worker + 1) * chunk)
                group.enter()
                let thread = Thread {
                    var outcomes: [Outcome<Value>] = []
                    outcomes.reserveCapacity(range.count)
                    for row in rows[range] {
                        do { outcomes.append(.decoded(row, try codec.decode(row.value))) } catch {
                            outcomes.append(.failed(row, error))
                        }
                    }
                    results.withLock { $0[worker] = outcomes }
                    group.leave()
                }
                thread.start()
            }
            group.notify(queue: .global()) { continuation.resume() }
        }
        return results.withLock { results in (0..<workers).flatMap { results[$0] ?? [] } }
    }
}

extension ParallelDecoder.Outcome: Sendable where Value: Sendable {}
