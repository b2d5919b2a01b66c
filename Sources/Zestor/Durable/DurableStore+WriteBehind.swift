/// Write-behind writes: each waits for space in the queue (``WriteBehindQueue/waitForSpace()``),
/// then under its keys' gates applies to memory and records the new state in the queue, whose
/// flusher commits it later — so the queue receives each key's writes in apply order. Called by
/// the public writes after their checks.
extension DurableStore {
    nonisolated(nonsending) func setBehind(_ kind: String, _ key: String, _ value: Value, _ queue: WriteBehindQueue<Value>) async throws -> SetResult {
        let gateKey = KeyGate.Key(kind: kind, key: key)
        await queue.waitForSpace()
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        let applied = try engine.applyCommitted(kind, key, value)
        if applied.result != .unchanged {
            queue.record(gateKey, value: value, version: applied.version)
        }
        return applied.result
    }

    nonisolated(nonsending) func updateBehind(_ kind: String, _ key: String, _ transform: (inout Value) throws -> Void,
                      _ queue: WriteBehindQueue<Value>) async throws -> Bool {
        let gateKey = KeyGate.Key(kind: kind, key: key)
        await queue.waitForSpace()
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        guard let (_, value) = try transformed(kind, key, transform) else { return false }
        let applied = try engine.applyCommitted(kind, key, value)
        queue.record(gateKey, value: value, version: applied.version)
        return true
    }

    nonisolated(nonsending) func setManyBehind(_ kind: String, _ values: [String: Value], _ queue: WriteBehindQueue<Value>) async throws {
        let gateKeys = values.keys.sorted().map { KeyGate.Key(kind: kind, key: $0) }
        await queue.waitForSpace()
        await gate.acquire(gateKeys)
        defer { gate.release(gateKeys) }
        var changed: [(key: String, value: Value)] = []  // in ascending key order, like `gateKeys`
        for gateKey in gateKeys {
            let value = values[gateKey.key]!
            if let current = engine.versionedUnchecked(kind, gateKey.key), engine.isEquivalent(current.value, value) {
                continue
            }
            changed.append((gateKey.key, value))
        }
        if changed.isEmpty { return }
        let applied = try engine.applyCommitted(kind, changed)  // in key order, like `changed`
        for (item, write) in zip(changed, applied) where write.result != .unchanged {
            queue.record(KeyGate.Key(kind: kind, key: item.key), value: item.value, version: write.version)
        }
    }

    nonisolated(nonsending) func deleteBehind(_ kind: String, _ key: String, _ queue: WriteBehindQueue<Value>) async throws -> Value? {
        let gateKey = KeyGate.Key(kind: kind, key: key)
        await queue.waitForSpace()
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        guard let current = engine.versionedUnchecked(kind, key) else { return nil }
        let removed = try engine.deleteCommitted(kind, key)
        queue.record(gateKey, value: nil, version: current.version + 1)
        return removed
    }
}
