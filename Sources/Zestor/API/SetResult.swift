/// What a `set` did to the stored entry.
public enum SetResult: Sendable, Equatable {
    /// The key did not exist and now does.
    case created
    /// The key existed and its value changed.
    case updated
    /// The new value was equivalent to the stored one: nothing was written and no event was emitted.
    case unchanged
}
