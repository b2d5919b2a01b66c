/// The error the cases' validators throw; carries the rejected value so the case can check
/// that the very error (not a wrapper) came back.
struct Rejected: Error, Equatable, CustomStringConvertible {
    let value: ConformanceValue
    var description: String { "Rejected(\(value))" }
}

/// The error the cases' transforms throw; `token` identifies the throw.
struct TransformFailed: Error, Equatable, CustomStringConvertible {
    let token: Int
    var description: String { "TransformFailed(\(token))" }
}
