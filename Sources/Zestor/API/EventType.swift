/// The kind of change an ``Event`` reports.
public enum EventType: String, Sendable, Hashable, CaseIterable {
    /// A key was created (also used for every entry of an initial replay).
    case create
    /// An existing key's value changed.
    case update
    /// A key was removed; the event carries the value it had.
    case delete
}
