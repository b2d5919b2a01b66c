/// A key and its value, as returned by ``Store/values(_:)``.
public struct KeyValue<Value: Sendable>: Sendable {
    /// The key.
    public let key: String
    /// The value stored under ``key``.
    public let value: Value

    /// Creates a pair.
    public init(key: String, value: Value) {
        self.key = key
        self.value = value
    }
}

extension KeyValue: Equatable where Value: Equatable {}
extension KeyValue: Hashable where Value: Hashable {}
