/// How a ``Watch`` subscribes.
public struct WatchOptions: Sendable {
    /// When `true`, the stream starts with one `.create` event per existing entry, taken
    /// atomically with the subscription: every replayed event precedes every live event.
    public var initialReplay: Bool
    /// The event types delivered; `nil` delivers all. Filtering never hides an overflow.
    public var eventTypes: Set<EventType>?
    /// How many events the consumer may fall behind before its iteration throws
    /// ``StoreError/watchOverflow(kind:)``. Counted over all events of the kind, whatever the filter.
    public var bufferSize: Int

    /// Creates options; `bufferSize` must be at least 1.
    public init(initialReplay: Bool = false, eventTypes: Set<EventType>? = nil, bufferSize: Int = 128) {
        self.initialReplay = initialReplay
        self.eventTypes = eventTypes
        self.bufferSize = bufferSize
    }
}
