/// Negative caching (``CacheOptions/negativeTimeToLive``): the keys whose last load found
/// nothing. Caller holds the owning shard's lock exclusively.
extension KindCache {
    /// The most absent keys one shard remembers when the kind is unbounded.
    static var unboundedAbsentLimit: Int { 65_536 }

    /// Whether a load of `key` found nothing less than the negative time to live ago (an answer
    /// that has run out is forgotten).
    func isKnownAbsent(_ key: EntryKey, at now: Int64) -> Bool {
        guard let deadline = absent[key] else { return false }
        if deadline > now { return true }
        absent[key] = nil
        return false
    }

    /// Remembers that a load of `key` found nothing, until `now` plus the negative time to live,
    /// keeping at most the shard's share (or ``unboundedAbsentLimit``) of keys: expired answers
    /// go first, then arbitrary ones.
    func rememberAbsent(_ key: EntryKey, at now: Int64) {
        guard negativeTimeToLive != 0 else { return }
        let limit = min(share, Self.unboundedAbsentLimit)
        if absent.count >= limit {
            absent = absent.filter { $0.value > now }
            while absent.count >= limit, let any = absent.keys.first { absent[any] = nil }
        }
        absent[key] = now &+ negativeTimeToLive
    }
}
