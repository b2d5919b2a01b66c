#if canImport(Glibc)
public import Glibc
#elseif canImport(Musl)
public import Musl
#elseif canImport(Darwin)
public import Darwin
#endif

/// A handle to one lock stripe of a ``MemoryStore``: a `pthread_rwlock_t` and the per-kind
/// tables it guards, stored inline in the store's ``ShardBuffer`` (never moved).
///
/// The handle is a bare pointer: taking it costs no retain, and each stripe occupies its own
/// 128-byte block, so two threads working on different stripes never share a cache line.
///
/// Invariant: `tables` and `kindIndex` are read only while holding the stripe's lock (shared or
/// exclusive) and written only while holding it exclusively. When several stripes are locked at
/// once they are locked in ascending index order, so lock-all operations cannot deadlock.
///
/// Kinds are found by a linear scan while a stripe holds few of them (comparing two short
/// strings is far cheaper than hashing one), and through `kindIndex` beyond that.
@usableFromInline
struct Shard<Value: Sendable> {
    /// Layout of one stripe's block: the lock, then `tables`, then `kindIndex`.
    @usableFromInline static var tablesOffset: Int { 64 }
    @usableFromInline static var kindIndexOffset: Int { 64 + MemoryLayout<ContiguousArray<KindTable<Value>>>.stride }
    @usableFromInline static var stride: Int { 128 }
    @usableFromInline static var linearScanLimit: Int { 8 }

    @usableFromInline let base: UnsafeMutableRawPointer

    @inlinable @inline(__always)
    init(base: UnsafeMutableRawPointer) {
        self.base = base
    }

    @inlinable @inline(__always)
    var lock: UnsafeMutablePointer<pthread_rwlock_t> { base.assumingMemoryBound(to: pthread_rwlock_t.self) }

    /// The kinds present in this stripe. Guarded by the stripe's lock.
    @inlinable
    var tables: ContiguousArray<KindTable<Value>> {
        @inline(__always) unsafeAddress {
            UnsafePointer((base + Self.tablesOffset).assumingMemoryBound(to: ContiguousArray<KindTable<Value>>.self))
        }
        @inline(__always) nonmutating unsafeMutableAddress {
            (base + Self.tablesOffset).assumingMemoryBound(to: ContiguousArray<KindTable<Value>>.self)
        }
    }

    /// Position of each kind in `tables`; consulted only above ``linearScanLimit`` kinds.
    @inlinable
    var kindIndex: [String: Int] {
        @inline(__always) unsafeAddress {
            UnsafePointer((base + Self.kindIndexOffset).assumingMemoryBound(to: [String: Int].self))
        }
        @inline(__always) nonmutating unsafeMutableAddress {
            (base + Self.kindIndexOffset).assumingMemoryBound(to: [String: Int].self)
        }
    }

    // MARK: Locking

    /// Takes the stripe's lock shared. Pair with ``unlock()``.
    @inlinable @inline(__always)
    func lockShared() {
        if pthread_rwlock_tryrdlock(lock) != 0 { lockSharedContended() }
    }

    /// Takes the stripe's lock exclusively. Pair with ``unlock()``.
    @inlinable @inline(__always)
    func lockExclusive() {
        if pthread_rwlock_trywrlock(lock) != 0 { lockExclusiveContended() }
    }

    /// Critical sections are a few hundred nanoseconds, far shorter than putting a thread to
    /// sleep and waking it, so a contended acquisition first retries a few times, yielding the
    /// processor in between, before it blocks.
    @usableFromInline static var contendedRetries: Int { 16 }

    @usableFromInline
    func lockSharedContended() {
        for _ in 0..<Self.contendedRetries {
            sched_yield()
            if pthread_rwlock_tryrdlock(lock) == 0 { return }
        }
        let rc = pthread_rwlock_rdlock(lock)
        precondition(rc == 0, "pthread_rwlock_rdlock failed")
    }

    @usableFromInline
    func lockExclusiveContended() {
        for _ in 0..<Self.contendedRetries {
            sched_yield()
            if pthread_rwlock_trywrlock(lock) == 0 { return }
        }
        let rc = pthread_rwlock_wrlock(lock)
        precondition(rc == 0, "pthread_rwlock_wrlock failed")
    }

    @inlinable @inline(__always)
    func unlock() {
        let rc = pthread_rwlock_unlock(lock)
        precondition(rc == 0, "pthread_rwlock_unlock failed")
    }

    // MARK: Tables

    /// The position of `kind` in `tables`, or nil. Caller holds the lock.
    @inlinable @inline(__always)
    func index(of kind: String) -> Int? {
        let count = tables.count
        if count <= Self.linearScanLimit {
            var index = 0
            while index < count {
                if tables[index].kind == kind { return index }
                index &+= 1
            }
            return nil
        }
        return kindIndex[kind]
    }

    /// The position of `kind` in `tables`, adding an empty table if needed. Caller holds the lock exclusively.
    @inlinable @inline(__always)
    func indexCreatingTable(for kind: String) -> Int {
        if let index = index(of: kind) { return index }
        return appendTable(for: kind)
    }

    @usableFromInline
    func appendTable(for kind: String) -> Int {
        tables.append(KindTable(kind: kind))
        kindIndex[kind] = tables.count - 1
        return tables.count - 1
    }

    /// Whether the table at `index` holds no entry and no watch hub (``KindTable/isUnused``), read
    /// in place: copying the table out would retain its kind, storage and hub. Caller holds the lock.
    @inlinable @inline(__always)
    func tableIsUnused(at index: Int) -> Bool {
        tables.withUnsafeBufferPointer { tables in
            tables[index].isUnused
        }
    }

    /// Drops the table at `index` (the last table moves into its place). Caller holds the lock
    /// exclusively.
    @usableFromInline
    func removeTable(at index: Int) {
        kindIndex[tables[index].kind] = nil
        let last = tables.count - 1
        if index != last {
            tables.swapAt(index, last)
            kindIndex[tables[index].kind] = index
        }
        tables.removeLast()
    }

    /// Empties every table through the write funnel, then drops them. Caller holds the lock
    /// exclusively.
    func removeAll() {
        for index in tables.indices { tables[index].removeAll() }
        tables = []
        kindIndex = [:]
    }
}
