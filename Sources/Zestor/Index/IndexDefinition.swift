/// What defines one index of a kind: its name, whether it is unique, and the function that
/// gives an entry's index key (`nil`: the entry is not in the index). Shared by the handle
/// (``Index``) and the per-shard structures (``ShardIndex``). Immutable, so `Sendable`.
@usableFromInline
final class IndexDefinition<Value: Sendable, Key: Comparable & Hashable & Sendable>: Sendable {
    @usableFromInline let kind: String
    @usableFromInline let name: String
    @usableFromInline let key: @Sendable (Value) -> Key?
    /// The owner of each index key, for a unique index; nil otherwise.
    @usableFromInline let owners: UniqueOwners<Key>?

    @usableFromInline
    init(kind: String, name: String, unique: Bool, key: @escaping @Sendable (Value) -> Key?) {
        self.kind = kind
        self.name = name
        self.key = key
        owners = unique ? UniqueOwners() : nil
    }
}

/// The owner (entry key) of every index key of a unique index, across all shards: how a write
/// in one shard learns, without locking the others, that another entry holds the index key it
/// is about to take.
///
/// Lock order: shard locks first, then `lock`; nothing takes a shard lock while holding it.
/// A local write claims its new index key (``claim(_:for:)``, which checks and takes in one
/// hold) before it changes its entry; the write funnel then records every change of every entry
/// (``record(_:for:)``, ``release(_:of:)``), so the map always covers the entries memory holds.
@usableFromInline
final class UniqueOwners<Key: Hashable & Sendable>: @unchecked Sendable {
    // @unchecked: `owners` is accessed only while `lock` is held.
    private let lock = ThreadLock()
    private var owners: [Key: String] = [:]

    /// Makes `entry` the owner of `key` unless another entry owns it; returns that other entry
    /// (nothing changed), or nil (`entry` owns it now). `newlyClaimed` tells whether `entry` did
    /// not own it before (so that a write that does not happen after all can give it back).
    func claim(_ key: Key, for entry: String) -> (conflict: String?, newlyClaimed: Bool) {
        lock.withLock {
            switch owners[key] {
            case .some(let owner) where owner != entry: return (owner, false)
            case .some: return (nil, false)
            case .none:
                owners[key] = entry
                return (nil, true)
            }
        }
    }

    /// Claims every `(key, entry)` pair at once, as if `released` (index keys their entries are
    /// giving up in the same atomic write) were free: all or nothing. Returns the first conflict
    /// (an index key owned by an entry outside the write, or claimed twice), having changed
    /// nothing; otherwise a function that undoes the claims.
    func claimAll(_ claims: [(key: Key, entry: String)], releasing released: [(key: Key, entry: String)])
        -> Result<() -> Void, UniqueConflict<Key>> {
        lock.withLock {
            var freed: [Key: String] = [:]
            for item in released where owners[item.key] == item.entry { freed[item.key] = item.entry }
            var taken: [Key: String] = [:]
            for claim in claims {
                if let other = taken[claim.key], other != claim.entry {
                    return .failure(UniqueConflict(key: claim.key, entry: claim.entry, owner: other))
                }
                taken[claim.key] = claim.entry
                if let owner = owners[claim.key], owner != claim.entry, freed[claim.key] != owner {
                    return .failure(UniqueConflict(key: claim.key, entry: claim.entry, owner: owner))
                }
            }
            // Each key's owner before and after, so that undoing reverts only what nobody changed since.
            var changed: [Key: (before: String?, after: String?)] = [:]
            for key in freed.keys where taken[key] == nil {
                changed[key] = (owners.removeValue(forKey: key), nil)
            }
            for (key, entry) in taken {
                changed[key] = (owners.updateValue(entry, forKey: key), entry)
            }
            return .success({ [self] in
                lock.withLock {
                    for (key, owner) in changed where owners[key] == owner.after { owners[key] = owner.before }
                }
            })
        }
    }

    /// The owner of `key`, if any.
    func owner(of key: Key) -> String? {
        lock.withLock { owners[key] }
    }

    /// Records that `entry` holds `key` (the funnel, after any write); returns the entry that
    /// owned it before when that was another one (a change this store did not decide, such as a
    /// row another process committed, broke uniqueness).
    @usableFromInline
    @discardableResult
    func record(_ key: Key, for entry: String) -> String? {
        lock.withLock {
            let previous = owners.updateValue(entry, forKey: key)
            return previous == entry ? nil : previous
        }
    }

    /// Frees `key` if `entry` owns it.
    @usableFromInline
    func release(_ key: Key, of entry: String) {
        lock.withLock {
            if owners[key] == entry { owners[key] = nil }
        }
    }
}

/// An index key a unique index cannot give `entry`: `owner` holds it.
struct UniqueConflict<Key: Sendable>: Error {
    let key: Key
    let entry: String
    let owner: String
}
