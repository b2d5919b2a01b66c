/// What one write did to a key: its ``SetResult`` and the key's version afterwards (the stored
/// version, unchanged, when the write was skipped as equivalent).
///
/// Returned by the engine's internal write path so `DurableStore` learns the version it applied
/// without reading the entry back. A plain two-word value: returning it allocates nothing.
@usableFromInline
struct AppliedWrite: Sendable, Equatable {
    @usableFromInline let result: SetResult
    @usableFromInline let version: UInt64

    @inlinable @inline(__always)
    init(result: SetResult, version: UInt64) {
        self.result = result
        self.version = version
    }
}
