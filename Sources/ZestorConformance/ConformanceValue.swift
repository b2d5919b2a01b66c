/// The value type every conformance case stores: small, `Codable` (so persistent stores can
/// encode it) and `Hashable` (so the default change detection, `==`, applies).
public struct ConformanceValue: Codable, Hashable, Sendable, CustomStringConvertible {
    /// A label; the cases use it to tell writers and phases apart.
    public var name: String
    /// A number; the cases use it to order writes and to test change detection.
    public var n: Int

    /// Creates a value.
    public init(name: String, n: Int) {
        self.name = name
        self.n = n
    }

    /// `name#n`, as the failure messages show it.
    public var description: String { "\(name)#\(n)" }
}

extension ConformanceValue {
    /// Shorthand for the cases.
    init(_ name: String, _ n: Int) {
        self.init(name: name, n: n)
    }
}
