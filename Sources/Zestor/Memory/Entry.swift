/// A stored value with its per-key version (1 when created, +1 per change).
@usableFromInline
struct Entry<Value: Sendable>: Sendable {
    @usableFromInline var value: Value
    @usableFromInline var version: UInt64

    @inlinable
    init(value: Value, version: UInt64) {
        self.value = value
        self.version = version
    }
}
