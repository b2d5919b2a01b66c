/// Write-behind writes: each waits for space in the queue (``WriteBehindQueue/waitForSpace()``),
/// then under its keys' gates applies to memory and, under the same shard locks, records the new
/// state in the queue, whose flusher commits it later — so the queue receives each key's writes,
/// and the cache's removals of it, in apply order. Called by the public writes after their checks.
extension DurableStore {
    nonisolated(nonsending) func setBehind(_ kind: String, _ key: String, _ value: Value, _ expiration: Expiration,
                                           _ queue: WriteBehindQueue<Value>,
                                           onlyIf precondition: (() -> Bool)? = nil) async throws -> SetResult {
        let gateKey = KeyGate.Key(kind: kind, key: key)
        await queue.waitForSpace()
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        if let precondition, !precondition() { return .unchanged }
        let deadline = deadline(of: expiration, in: kind)
        // One hold of the shard lock reads the entry, claims unique index keys, applies and
        // records (in apply order).
        return try engine.purgingExpiredOwners(kind) { try engine.applyDecided(kind, key, { current in
            if let current, engine.isEquivalent(current.entry.value, value) {
                return current.deadline == deadline ? .unchanged : .expiry(deadline, version: current.entry.version)
            }
            return .store(value, version: nextVersion(of: gateKey, after: current?.entry.version), deadline: deadline)
        }, afterApply: { decision in
            switch decision {
            case .unchanged: break
            case .expiry(let deadline, let version):
                queue.record(gateKey, .expiryOnly, version: version, expiresAt: instants.instant(ofDeadline: deadline))
            case .store(let value, let version, let deadline):
                queue.record(gateKey, .upsert(value), version: version, expiresAt: instants.instant(ofDeadline: deadline))
            }
        }) }
    }

    nonisolated(nonsending) func updateBehind(_ kind: String, _ key: String, _ expiration: Expiration?,
                                              _ transform: (inout Value) throws -> Void,
                                              _ queue: WriteBehindQueue<Value>) async throws -> Bool {
        let gateKey = KeyGate.Key(kind: kind, key: key)
        await queue.waitForSpace()
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        let (current, changed) = try transformed(kind, key, transform)
        let deadline = expiration.map { self.deadline(of: $0, in: kind) } ?? current.deadline
        guard let value = changed else {
            try changeExpiryBehind(gateKey, current, to: deadline, queue)
            return false
        }
        let version = current.entry.version + 1
        try engine.reserveUniqueKeys(kind, key, value)
        do {
            try engine.applyCommitted(kind, key, value, version: version, expiry: .deadline(deadline)) {
                queue.record(gateKey, .upsert(value), version: version, expiresAt: instants.instant(ofDeadline: deadline))
            }
        } catch {
            engine.releaseUniqueReservation(kind, key, value)
            throw error
        }
        return true
    }

    nonisolated(nonsending) func setManyBehind(_ kind: String, _ values: [String: Value], _ expiration: Expiration,
                                               _ queue: WriteBehindQueue<Value>) async throws {
        let gateKeys = values.keys.sorted().map { KeyGate.Key(kind: kind, key: $0) }
        await queue.waitForSpace()
        await gate.acquire(gateKeys)
        defer { gate.release(gateKeys) }
        let deadline = deadline(of: expiration, in: kind)
        let expiresAt = instants.instant(ofDeadline: deadline)
        var changed: [(key: String, value: Value, version: UInt64)] = []  // in ascending key order
        for gateKey in gateKeys {
            let value = values[gateKey.key]!
            let current = engine.versionedWithDeadline(kind, gateKey.key)
            if let current, engine.isEquivalent(current.entry.value, value) {
                try changeExpiryBehind(gateKey, current, to: deadline, queue)
                continue
            }
            changed.append((gateKey.key, value, nextVersion(of: gateKey, after: current?.entry.version)))
        }
        if changed.isEmpty { return }
        let reservation = try engine.reserveUniqueKeys(kind, changed.map { (key: $0.key, value: $0.value) })
        do {
            try engine.applyCommitted(kind, changed, expiry: .deadline(deadline)) {
                for item in changed {
                    queue.record(KeyGate.Key(kind: kind, key: item.key), .upsert(item.value), version: item.version,
                                 expiresAt: expiresAt)
                }
            }
        } catch {
            reservation?()
            throw error
        }
    }

    nonisolated(nonsending) func deleteBehind(_ kind: String, _ key: String, _ queue: WriteBehindQueue<Value>) async throws -> Value? {
        let gateKey = KeyGate.Key(kind: kind, key: key)
        await queue.waitForSpace()
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        guard let current = engine.versionedWithDeadline(kind, key) else { return nil }
        return try engine.deleteCommitted(kind, key) {
            queue.record(gateKey, .delete, version: current.entry.version + 1)
        }
    }

    /// Gives the live entry `current` of `key` (whose gate the caller holds) the monotonic
    /// `deadline` and records the new instant; nothing when it has that deadline already.
    func changeExpiryBehind(_ key: KeyGate.Key, _ current: Current, to deadline: Int64,
                            _ queue: WriteBehindQueue<Value>) throws {
        guard current.deadline != deadline else { return }
        try engine.applyDeadline(key.kind, key.key, version: current.entry.version, deadline: deadline) {
            queue.record(key, .expiryOnly, version: current.entry.version, expiresAt: instants.instant(ofDeadline: deadline))
        }
    }
}
