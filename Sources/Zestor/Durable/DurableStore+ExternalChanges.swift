extension DurableStore {
    /// Follows the backend's change feed (other processes' commits), applying each change to
    /// memory — and so to local watchers — under its key's gate, like a local write:
    /// - an upsert is applied when its version is at least the local one (equal versions mean a
    ///   concurrent local write lost at the database, which keeps the first committed one);
    /// - a delete removes the local entry.
    /// Rows the codec cannot decode are logged and skipped. Ends when the feed ends (the backend
    /// closed) or the store is closed.
    func follow(_ feed: AsyncStream<[PersistedMutation]>) {
        Task.detached { [self] in
            for await batch in feed {
                do {
                    for mutation in batch { try await applyExternal(mutation) }
                } catch {
                    return  // closed
                }
            }
        }
    }

    private func applyExternal(_ mutation: PersistedMutation) async throws {
        let gateKey = KeyGate.Key(kind: mutation.kind, key: mutation.key)
        await gate.acquire(gateKey)
        defer { gate.release(gateKey) }
        let local = engine.versionedUnchecked(mutation.kind, mutation.key)
        switch mutation {
        case .upsert(let row):
            if let local, local.version > row.version { return }
            let value: Value
            do {
                value = try codec.decode(row.value)
            } catch {
                logger.error("skipping an external change that cannot be decoded", metadata: [
                    "kind": "\(row.kind)", "key": "\(row.key)", "error": "\(error)",
                ])
                return
            }
            if let local, local.version == row.version, engine.isEquivalent(local.value, value) { return }
            try engine.applyExternal(row.kind, row.key, value, version: row.version)
        case .delete(let kind, let key):
            if local != nil { try engine.deleteCommitted(kind, key) }
        }
    }
}
