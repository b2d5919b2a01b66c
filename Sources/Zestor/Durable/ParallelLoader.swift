import Foundation

/// Loads stored rows into a fresh engine on dedicated threads (never the cooperative pool), one
/// per core: each thread decodes its slice with its own codec worker and restores the entries
/// straight into the engine (whose shard locks make that safe), so nothing is copied twice.
enum ParallelLoader {
    /// A row the codec could not decode.
    struct Failure: Sendable {
        let row: PersistedRow
        let error: any Error
    }

    /// Restores every decodable row into `engine`, expiring at the deadline of its stored instant;
    /// returns the rows that could not be decoded.
    static func load<Value: Sendable, C: Codec>(_ rows: [PersistedRow], with codec: C, instants: ExpiryInstants,
                                                into engine: MemoryStore<Value>) async -> [Failure]
    where C.Value == Value {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, rows.count / 2_000))
        let chunk = (rows.count + workers - 1) / workers
        let failures = Locked<[Failure]>([])
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let group = DispatchGroup()
            for worker in 0..<workers {
                let range = (worker * chunk)..<min(rows.count, (worker + 1) * chunk)
                group.enter()
                let thread = Thread {
                    let codec = codec.worker()
                    var failed: [Failure] = []
                    for row in rows[range] {
                        do {
                            engine.restore(row.kind, row.key, try codec.decode(row.value), version: row.version,
                                           deadline: instants.deadline(ofInstant: row.expiresAt))
                        } catch {
                            failed.append(Failure(row: row, error: error))
                        }
                    }
                    if !failed.isEmpty { failures.withLock { $0 += failed } }
                    group.leave()
                }
                thread.name = "zestor.load-\(worker)"
                thread.start()
            }
            group.notify(queue: .global()) { continuation.resume() }
        }
        return failures.withLock { $0 }
    }
}
