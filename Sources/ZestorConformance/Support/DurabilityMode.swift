import Zestor

/// The write modes every durability case runs in; the raw value names the mode in failures.
enum DurabilityMode: String, CaseIterable, Sendable {
    case writeThrough = "write-through"
    case writeBehind = "write-behind"

    /// The mode to open stores with; write-behind commits after `maxDelay` unless flushed.
    func writeMode(maxDelay: Duration = .milliseconds(2)) -> WriteMode {
        switch self {
        case .writeThrough: .writeThrough
        case .writeBehind: .writeBehind(WriteBehindPolicy(maxDelay: maxDelay))
        }
    }
}
