import Zestor

/// An event without its sequence number (and kind), for comparing streams with expectations.
struct Change: Hashable, Sendable, CustomStringConvertible {
    let type: EventType
    let key: String
    let value: ConformanceValue

    init(_ type: EventType, _ key: String, _ value: ConformanceValue) {
        self.type = type
        self.key = key
        self.value = value
    }

    init(_ event: Event<ConformanceValue>) {
        self.init(event.type, event.key, event.value)
    }

    var description: String { "\(type.rawValue) \(key)=\(value)" }
}

extension Array where Element == Event<ConformanceValue> {
    /// The events as changes.
    var changes: [Change] { map(Change.init) }
}

/// A short, readable rendering of a list (events, keys, …) for failure messages.
func show(_ items: [some CustomStringConvertible], limit: Int = 12) -> String {
    let head = items.prefix(limit).map(\.description).joined(separator: ", ")
    return items.count > limit ? "[\(head), … (\(items.count) in all)]" : "[\(head)]"
}

/// A readable rendering of a dictionary of values, sorted by key.
func show(_ entries: [String: ConformanceValue], limit: Int = 12) -> String {
    show(entries.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }, limit: limit)
}
