/// One change delivered by a ``Watch``.
public struct Event<Value: Sendable>: Sendable {
    /// The kind the change happened in.
    public let kind: String
    /// The key that changed.
    public let key: String
    /// What happened to the key.
    public let type: EventType
    /// The new value; for `.delete` the previous value.
    public let value: Value
    /// Strictly increasing along one watch stream.
    public let sequence: UInt64
    /// Why it happened: a write through this store, a change applied from another process, or
    /// an initial replay entry.
    public let cause: EventCause

    /// Creates an event; store implementations outside this module use it to feed a ``Watch``.
    public init(kind: String, key: String, type: EventType, value: Value, sequence: UInt64,
                cause: EventCause = .write) {
        self.kind = kind
        self.key = key
        self.type = type
        self.value = value
        self.sequence = sequence
        self.cause = cause
    }
}

extension Event: Equatable where Value: Equatable {}
