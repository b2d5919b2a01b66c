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
    /// Expiry instants survive closing and reopening: an entry expires at the same instant after
    /// a reopen (to the millisecond), `.never` and `setExpiration` are kept, a row that expired
    /// while no store was open is not loaded, and the rows of entries that expired — while
    /// closed, or swept — are deleted from the storage (a store whose clock has not reached
    /// their instants does not load them either).
    case expiryRoundTrip
    /// Entries a bounded kind evicted are deleted from the storage: a store opened without a
    /// bound loads exactly the entries the bounded store held when it closed.
    case evictionsPersisted
    /// Compare-and-set arbitrates between stores sharing the storage: of two write-through stores
    /// that compare-and-set one key at one version at once, exactly one wins and the other throws
    /// `StoreError.versionConflict` with the winner's version and then shows the winner; a
    /// compare-and-set or compare-and-delete at a version another store replaced fails even when
    /// the store's memory has not seen the change. (The stores that race write through in both
    /// modes; the first writes use the mode.)
    case compareAndSetAcrossStores

    /// The case name.
    public var description: String { rawValue }
}
