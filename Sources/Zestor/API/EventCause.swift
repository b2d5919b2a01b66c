/// Why an ``Event`` happened: what a watcher needs to tell its own process's writes from changes
/// that reached this store from elsewhere, and a removal by a user from one made by the cache.
public enum EventCause: UInt8, Sendable, Hashable, CaseIterable {
    /// A write through this store (`set`, `update`, `setMany`, `delete`, `compareAndSet`, a value
    /// stored by `get(_:_:orLoad:)`).
    case write
    /// A change applied from the storage, made by another process sharing it: the change feed,
    /// a resynchronization after a gap in the feed, or reconciling keys whose memory differed
    /// from the storage (a commit of unknown outcome, a write that lost to another store's).
    case external
    /// An entry of the initial replay (``WatchOptions/initialReplay``).
    case replay
    /// A `.delete`: the entry's time to live ran out (``Expiration``).
    case expired
    /// A `.delete`: the entry was evicted to keep its kind within ``CacheOptions/capacity``.
    case evicted
}
