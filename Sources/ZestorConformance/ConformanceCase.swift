/// One rule of the store contract (Documentation/Architecture.md, "The contract").
///
/// Cases marked *racy* repeat ``ConformanceSuite/rounds`` times with concurrent writers.
public enum ConformanceCase: String, CaseIterable, Sendable, CustomStringConvertible {
    // MARK: Reads

    /// Reads of a missing key return `nil` (empty store, other keys present, after a delete, other kind).
    case missingKeyReadsNil
    /// Kinds are isolated: the same key in two kinds holds two values, and writes, deletes,
    /// change detection and watch events stay within their kind.
    case kindsIsolated
    /// Reads of a kind that has no keys (never written, or emptied) return empty results and count 0.
    case emptyKindReads
    /// `list`, `keys`, `values`, `count`, `get` and `getAll` agree with each other and with a
    /// model after a random mix of writes on several kinds (`set` results checked on the way).
    case readersAgree
    /// `list` filters: every filter must hold, the one-filter and variadic conveniences, filters
    /// get each entry's key and value, and may capture local mutable state.
    case listFilters

    // MARK: Writes

    /// `set` reports `.created`, `.updated` and `.unchanged`, and stores what it reports.
    case setResults
    /// Writes that change nothing (`set`, `setMany`, `update`, deleting a missing key) emit no event.
    case unchangedWritesEmitNothing
    /// `update` applies the transform, returns `true` and emits one `.update` event.
    case updateTransforms
    /// `update` of a missing key throws `StoreError.keyNotFound(kind:key:)` and creates nothing.
    case updateMissingKey
    /// A throwing transform: its very error is rethrown and nothing is stored or emitted.
    case updateThrowingTransform
    /// `update` whose transform leaves the value equal returns `false` and emits nothing.
    case updateUnchanged
    /// `setMany` merges: keys absent from the call are left alone.
    case setManyMerges
    /// `setMany` skips keys whose value is unchanged: no write, no event.
    case setManySkipsUnchanged
    /// `setMany` emits its events in key order.
    case setManyKeyOrder
    /// A validator failure inside `setMany` rejects the whole call: nothing is written or emitted.
    case setManyValidatorAtomic
    /// `delete` returns the previous value, or `nil` when there was none; its event carries the previous value.
    case deleteReturnsPrevious

    // MARK: Options

    /// Validators run per kind: the error is rethrown unchanged, nothing is stored or emitted,
    /// and other kinds are unaffected.
    case validatorsPerKind
    /// A custom `isEquivalent` is honoured by `set`, `update` and `setMany` (both ways).
    case isEquivalentCustom
    /// Without `isEquivalent`, an `Equatable` value is compared with `==`.
    case isEquivalentDefault

    // MARK: Guards

    /// In a cancelled task every operation throws `CancellationError` before doing anything.
    case cancelledTask
    /// An empty kind makes `set`, `update`, `setMany`, `delete` and `watch` throw `StoreError.kindRequired`.
    case kindRequired
    /// `close()` is idempotent, also when called concurrently.
    case closeIdempotent
    /// After `close()` every operation throws `StoreError.closed`.
    case closedOperationsThrow

    // MARK: Watch lifecycle

    /// Closing the store ends every watch normally (`nil`), after the events published before
    /// the close, also while the reader is suspended and while a writer races the close. *Racy.*
    case closeEndsWatch
    /// `Watch.cancel()` ends iteration normally, before, during or racing with iteration. *Racy.*
    case cancelEndsWatch
    /// Cancelling the consuming task ends iteration normally (`nil`, not an error). *Racy.*
    case taskCancellationEndsWatch
    /// A watch has a single consumer: a second iterator's first `next()` throws
    /// `StoreError.watchAlreadyConsumed` and it then ends (`nil`), while the first iterator
    /// keeps receiving every event.
    case singleConsumer

    // MARK: Watch delivery

    /// A consumer applying events in receive order converges on the store's state while two
    /// writers race on the same keys. *Racy.*
    case watchOrdering
    /// With `initialReplay`, the snapshot is atomic with the subscription: every replayed
    /// `.create` precedes every live event and the reconstruction equals the final state. *Racy.*
    case replayPrecedesLive
    /// A consumer more than `bufferSize` events behind gets `StoreError.watchOverflow` after a
    /// gap-free prefix of the events; writers never wait for it. *Racy* (slow reader part).
    case overflow
    /// Event-type filters never hide an overflow, and the filtered prefix stays gap-free.
    case overflowWithFilter
    /// `eventTypes` delivers exactly the requested types (every non-empty subset).
    case eventTypeFilter
    /// `Event.sequence` strictly increases along every stream (plain, replaying, filtered)
    /// under concurrent writers. *Racy.*
    case sequenceIncreasing

    // MARK: Caching (stores that are `CachingStore`s; see `cachingCases`)

    /// From the instant an entry expires no read returns it (`get`, `list`, `count`, `keys`,
    /// `values`, `getAll`, replay, `expiration`), swept or not; writing the key again creates it.
    case expiryHidesEntries
    /// Each expired entry's removal is one `.delete` event with cause `.expired` and its last
    /// value, whether the sweep or a write to the key finds it; `removeExpired` counts them.
    case expiryRemovalEvents
    /// A write with an expiration replaces the entry's expiry, `update` without one keeps it,
    /// `setExpiration` changes it without an event or a new version, the kind default applies to
    /// writes that name none.
    case expirationReplacedOrKept
    /// A zero or negative time to live or capacity is `StoreError.outOfRange`, and nothing is stored.
    case cacheInputOutOfRange
    /// A bounded kind never holds more than its capacity; each insertion into a full kind is
    /// preceded by one `.delete` event with cause `.evicted`; updates of present keys evict nothing.
    case capacityBound
    /// Under the default eviction policy, a one-time scan of many new keys through a full kind
    /// does not evict the entries read again and again meanwhile.
    case scanResistance
    /// `get(_:_:orLoad:)`: many callers missing one key at once run one load and all get its
    /// value, which is stored (with the kind's time to live); a hit does not load.
    case loadOnce
    /// A failing load throws its error to every waiter and stores nothing; a `nil` load stores
    /// nothing; the next call loads again.
    case loadFailureAndNil
    /// A write to the key while its load runs wins over the load's result.
    case writeWinsOverLoad
    /// Cancelling one waiter makes it throw `CancellationError` and does not cancel the load for
    /// the others.
    case loadWaiterCancellation
    /// `stats` counts hits, misses, loads, load failures, evictions and expirations.
    case cacheStatistics
    /// With `CacheOptions.negativeTimeToLive`, a load that found nothing is not run again until
    /// that time has passed or the key is written.
    case negativeCaching

    // MARK: Versions (stores that are `VersionedStore`s; see `versionedCases`)

    /// `compareAndSet` stores only at the expected version (`nil`: absent; an expired entry is
    /// absent), returns the version it stored, throws `StoreError.versionConflict` with the
    /// version it found and stores and emits nothing otherwise; an equal value keeps the version
    /// and still fails at a stale one; validators run; `getVersioned` agrees.
    case compareAndSetVersions
    /// `compareAndDelete` removes only at the expected version, returns the removed value and
    /// emits its `.delete`; otherwise `StoreError.versionConflict` (`actual` nil when absent).
    case compareAndDeleteVersions
    /// Of concurrent compare-and-sets of one key at one version exactly one wins, the others get
    /// `versionConflict` with the winner's version; increments by compare-and-set and retry lose
    /// nothing. *Racy.*
    case compareAndSetRace

    // MARK: Snapshots (stores that are `SnapshotStore`s; see `snapshotCases`)

    /// A snapshot holds exactly the entries of the instant it was taken — as a sequence, an async
    /// sequence, a dictionary, keys and count, per kind and for the whole store — and no later
    /// write, delete or insert changes it.
    case snapshotIsPointInTime
    /// Snapshots taken while `setMany` rewrites every key of a kind hold one generation of all
    /// of them: consistent across shards. *Racy.*
    case snapshotConsistentUnderWrites

    // MARK: Indexes (stores that are `IndexedStore`s; see `indexCases`)

    /// Index queries: `lookup` in key order, `range` for every range form ordered by (index key,
    /// key), reversed and limited, composite prefixes and ranges, `count`, partial indexes,
    /// `indexes` listing; every write path keeps the index; taken names, dropped handles and a
    /// negative limit are errors; expired entries are never returned.
    case indexQueries
    /// A unique index rejects `set`, `update`, `setMany` (whole call) and `compareAndSet` giving
    /// an entry a key another holds, with no event; swaps within one `setMany` and keys freed by
    /// deletes are allowed; `createIndex` over duplicates throws and creates nothing.
    case uniqueIndexes
    /// 1,000 random `set`, `update`, `setMany`, `delete`, compare-and-set and index re-creations;
    /// after each, every lookup, range form, prefix and count equals brute force over a model.
    case indexesMatchModel
    /// Index queries while `setMany` rewrites every key see one generation of all of them. *Racy.*
    case indexQueriesConsistentUnderWrites

    /// The case name.
    public var description: String { rawValue }

    /// The cases that need a `CachingStore` (TTL, capacity, loading, statistics).
    public static var cachingCases: [ConformanceCase] {
        [.expiryHidesEntries, .expiryRemovalEvents, .expirationReplacedOrKept, .cacheInputOutOfRange,
         .capacityBound, .scanResistance, .loadOnce, .loadFailureAndNil, .writeWinsOverLoad,
         .loadWaiterCancellation, .cacheStatistics, .negativeCaching]
    }

    /// The cases that need a `VersionedStore` (compare-and-set).
    public static var versionedCases: [ConformanceCase] {
        [.compareAndSetVersions, .compareAndDeleteVersions, .compareAndSetRace]
    }

    /// The cases that need a `SnapshotStore`.
    public static var snapshotCases: [ConformanceCase] {
        [.snapshotIsPointInTime, .snapshotConsistentUnderWrites]
    }

    /// The cases that need an `IndexedStore`.
    public static var indexCases: [ConformanceCase] {
        [.indexQueries, .uniqueIndexes, .indexesMatchModel, .indexQueriesConsistentUnderWrites]
    }

    /// The cases every `Store` runs: all but ``cachingCases``, ``versionedCases``,
    /// ``snapshotCases`` and ``indexCases``.
    public static var storeCases: [ConformanceCase] {
        allCases.filter {
            !cachingCases.contains($0) && !versionedCases.contains($0) && !snapshotCases.contains($0)
                && !indexCases.contains($0)
        }
    }
}
