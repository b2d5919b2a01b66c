/// One durability rule of a `DurableStore` over a persistence backend: what one store
/// wrote, a store opened later on the same storage must load exactly.
///
/// Every case runs once per write mode (write-through, then write-behind), each time on a
/// fresh storage.
public enum DurabilityCase: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Writes, updates, deletes and re-creations across kinds survive closing and reopening,
    /// with their values and versions; writes after a reopen continue from those versions and
    /// survive the next reopen.
    case roundTrip
    /// Kinds, keys and values with quotes, SQL, emoji, right-to-left and combining characters,
    /// control characters, an empty key and a 1 MB value round-trip byte for byte.
    case hostileInput
    /// A second store opened on the same storage while the first is still open loads every write
    /// the first acknowledged (write-through) or flushed (write-behind), with its version.
    case secondStoreSeesWrites
    /// A write-through write that loses to a newer row another store on the same storage wrote
    /// either lands on top of it (the store had already received it) or throws
    /// `StoreError.versionConflict` carrying the winner's version, after which the store shows
    /// the winner and a retry lands on top of it: no key stays stuck. (The losing store writes
    /// through in both modes; the winning store uses the mode.)
    case lostRaceIsRefreshed

    /// The case name.
    public var description: String { rawValue }
}
