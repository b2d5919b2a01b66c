/// The index side of the write funnel (`KindTable+Mutations.swift`, `KindTable+Cache.swift`):
/// called only when ``KindTable/indexes`` is non-nil, under the shard's exclusive lock.
extension KindTable {
    /// Whether the kind has a unique index.
    @inlinable
    var hasUniqueIndex: Bool {
        guard let indexes else { return false }
        for index in indexes where index.isUnique { return true }
        return false
    }

    /// Entry `key` now holds `value` (it held `previous`; nil: it was absent).
    @usableFromInline
    func indexesDidStore(_ key: EntryKey, _ value: Value, previous: Value?) {
        for index in indexes.unsafelyUnwrapped { _ = index.didStore(key, value, previous) }
    }

    /// Entry `key`, which held `value`, is gone.
    @usableFromInline
    func indexesDidRemove(_ key: EntryKey, _ value: Value) {
        for index in indexes.unsafelyUnwrapped { index.didRemove(key, value) }
    }

    /// Before a local write gives entry `key` the value `value` (it holds `previous`; nil:
    /// absent): claims its keys in the kind's unique indexes, all or nothing. Throws
    /// ``StoreError/uniqueIndexViolation(kind:index:key:conflictingKey:indexKey:)`` when another
    /// entry holds one; returns a function giving the claims back when the write does not happen.
    @usableFromInline
    func claimUniqueKeys(_ key: String, _ value: Value, previous: Value?) throws -> (() -> Void)? {
        guard let indexes else { return nil }
        var undo: [() -> Void] = []
        do {
            for index in indexes where index.isUnique {
                if let giveBack = try index.claim(key, value, previous) { undo.append(giveBack) }
            }
        } catch {
            for giveBack in undo { giveBack() }
            throw error
        }
        return undo.isEmpty ? nil : { for giveBack in undo { giveBack() } }
    }

    /// ``claimUniqueKeys(_:_:previous:)`` for a local write of `value` to `key`, whose current
    /// live entry (an expired one is removed first) is the previous value. Nothing to claim,
    /// and nil, when the kind has no unique index.
    @inlinable
    mutating func claimUniqueKeys(for key: EntryKey, _ value: Value) throws -> (() -> Void)? {
        guard hasUniqueIndex else { return nil }
        let previous = liveSlot(of: key).map { entries.entry(atSlot: $0).value }
        return try claimUniqueKeys(key.key, value, previous: previous)
    }

    /// For an atomic write of several entries (`setMany`): claims the keys the changed entries
    /// take in the kind's unique indexes, all or nothing; `changes` holds each changed entry's
    /// new and previous value. Returns a function undoing the claims.
    @usableFromInline
    func claimUniqueKeys(_ changes: [(key: String, value: Value, previous: Value?)]) throws -> (() -> Void)? {
        guard let indexes else { return nil }
        var undo: [() -> Void] = []
        do {
            for index in indexes where index.isUnique {
                if let giveBack = try index.claimAll(changes) { undo.append(giveBack) }
            }
        } catch {
            for giveBack in undo.reversed() { giveBack() }
            throw error
        }
        return undo.isEmpty ? nil : { for giveBack in undo.reversed() { giveBack() } }
    }

    /// The live entry under `key` at the monotonic instant `now` (read once per query), or nil;
    /// shared lock.
    @inlinable
    func liveEntry(_ key: EntryKey, now: Int64?) -> Entry<Value>? {
        guard let storage = entries.storage, let slot = storage.slot(of: key) else { return nil }
        if let now, let cache {
            let node = storage.node(at: slot)
            if node != 0 {
                let deadline = cache.deadline(of: node)
                if deadline != 0 && deadline <= now { return nil }
            }
        }
        return storage.entry(at: slot)
    }
}
