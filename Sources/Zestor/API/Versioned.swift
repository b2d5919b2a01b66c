/// A stored value with its per-key version.
///
/// A key's version is 1 when it is created and grows by one on every change; it is the
/// basis of compare-and-set (``VersionedStore``).
public struct Versioned<Value: Sendable>: Sendable {
    /// The stored value.
    public let value: Value
    /// The version of the value: 1 when created, +1 per change.
    public let version: UInt64

    /// Creates a versioned value.
    public init(value: Value, version: UInt64) {
        self.value = value
        self.version = version
    }
}

extension Versioned: Equatable where Value: Equatable {}
