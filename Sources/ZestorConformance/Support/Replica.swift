import Zestor

/// What a consumer reconstructs by applying a stream of events in receive order.
///
/// ``apply(_:)`` also checks each event against the state built so far: a `.create` of a key
/// it holds, an `.update` or `.delete` of a key it does not hold, an `.update` to the value it
/// already holds (unchanged writes emit nothing) or a `.delete` carrying another value than
/// the last one seen are all impossible in a correctly ordered stream.
struct Replica {
    private(set) var entries: [String: ConformanceValue] = [:]

    /// Applies one event; returns a description of the inconsistency it reveals, if any.
    mutating func apply(_ event: Event<ConformanceValue>) -> String? {
        let key = event.key
        switch event.type {
        case .create:
            if let held = entries[key] {
                return "\(Change(event)) (seq \(event.sequence)) while the stream already holds \(key)=\(held)"
            }
            entries[key] = event.value
        case .update:
            guard let held = entries[key] else {
                return "\(Change(event)) (seq \(event.sequence)) of a key the stream does not hold"
            }
            if held == event.value {
                return "\(Change(event)) (seq \(event.sequence)) to the value the stream already holds"
            }
            entries[key] = event.value
        case .delete:
            guard let held = entries.removeValue(forKey: key) else {
                return "\(Change(event)) (seq \(event.sequence)) of a key the stream does not hold"
            }
            if held != event.value {
                return "\(Change(event)) (seq \(event.sequence)) but the stream last gave \(key)=\(held)"
            }
        }
        return nil
    }
}
