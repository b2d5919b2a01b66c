/// When an entry expires: given to the writes of a ``CachingStore`` and returned by
/// ``CachingStore/expiration(_:_:)``.
///
/// From the instant an entry expires no read returns it, whether or not the sweeper has removed
/// it yet; its removal is one `.delete` event with cause ``EventCause/expired``.
public enum Expiration: Sendable, Hashable {
    /// The kind's ``CacheOptions/timeToLive`` (no expiry when the kind has none). Never returned
    /// by ``CachingStore/expiration(_:_:)``.
    case kindDefault
    /// The entry does not expire.
    case never
    /// The entry expires this long after the write (more than zero; a zero or negative duration
    /// throws ``StoreError/outOfRange(parameter:value:requirement:)`` and stores nothing). As a
    /// result of ``CachingStore/expiration(_:_:)``: the time it has left.
    case after(Duration)
}
