/// The entries of one kind in one shard: an open-addressing hash table (linear probing,
/// backward-shift deletion, power-of-two capacity, at most ``EntryTableStorage/maxLoad`` — 4/5 —
/// full) with copy-on-write value semantics, keyed by ``EntryKey``. Buckets come from the low
/// bits of the key's hash; the shard took the top bits (``ShardBuffer/index(for:)``).
///
/// Invariants (checked by ``_checkInvariants()`` in tests and debug builds): `count` equals the
/// number of occupied slots; every occupied slot is reachable from its home bucket without
/// crossing an empty slot (no probe gaps); the load stays within ``EntryTableStorage/maxLoad``.
///
/// Why not `Dictionary`: a dictionary keeps keys and values in two arrays (two cache misses per
/// lookup) and rehashes every key it is given. Here a slot holds the precomputed hash, the key
/// and the entry together, so a hit costs one miss and no hashing at all.
///
/// Copying a table is O(1) (the storage is shared); the first mutation of a shared storage
/// copies it. Slot positions survive that copy, so a slot index found before a mutation stays valid.
@usableFromInline
struct EntryTable<Value: Sendable>: @unchecked Sendable {
    // @unchecked: like `Dictionary`, a value type over copy-on-write storage. The storage is
    // mutated only through `makeUnique()`, i.e. only when this value holds the sole reference,
    // so storage reachable from two values (or two threads) is never written.
    @usableFromInline typealias Storage = EntryTableStorage<Value>

    /// nil until the first insertion: empty tables allocate nothing.
    @usableFromInline var storage: Storage?

    @inlinable
    init() {}

    /// The number of entries.
    @inlinable
    var count: Int { storage?.entryCount ?? 0 }

    @inlinable
    var isEmpty: Bool { count == 0 }

    /// The slot holding `key`, or nil.
    @inlinable
    func slot(of key: EntryKey) -> Int? {
        guard let storage else { return nil }
        return storage.slot(of: key)
    }

    /// The entry stored under `key`, or nil.
    @inlinable
    subscript(key: EntryKey) -> Entry<Value>? {
        if case .none = storage { return nil }
        // Proof the storage needs no retain while it is probed: `self` (the caller's table, read
        // under its shard's lock) holds a strong reference for the whole call, and nothing in the
        // closure can release it (the lock keeps writers out; the probe only reads).
        // `_withUnsafeGuaranteedRef` is underscored, non-public stdlib API (used by
        // swift-collections and swift-nio for this): if it changed or went away, this would stop
        // compiling — not misbehave — and the fix is a plain `storage.unsafelyUnwrapped` (one
        // retain/release pair more per lookup).
        return Unmanaged.passUnretained(storage.unsafelyUnwrapped)._withUnsafeGuaranteedRef { storage in
            guard let slot = storage.slot(of: key) else { return nil }
            return storage.entry(at: slot)
        }
    }

    /// The entry in an occupied slot.
    @inlinable
    func entry(atSlot slot: Int) -> Entry<Value> {
        storage.unsafelyUnwrapped.entry(at: slot)
    }

    /// Replaces the entry in an occupied slot (found by ``slot(of:)`` on this table).
    @inlinable @inline(__always)
    mutating func replaceEntry(atSlot slot: Int, with entry: Entry<Value>) {
        makeUnique()
        storage.unsafelyUnwrapped.replaceEntry(at: slot, with: entry)
    }

    /// The cache node (``EntrySlot/node``) of the entry in an occupied slot; 0 when it has none.
    @inlinable
    func node(atSlot slot: Int) -> UInt32 {
        storage.unsafelyUnwrapped.node(at: slot)
    }

    /// Sets the cache node of the entry in an occupied slot.
    @inlinable
    mutating func setNode(_ node: UInt32, atSlot slot: Int) {
        makeUnique()
        storage.unsafelyUnwrapped.setNode(node, at: slot)
    }

    /// Inserts an entry under a key the table does not hold, with its cache node (0: none).
    @inlinable
    mutating func insertNew(_ key: EntryKey, _ entry: Entry<Value>, node: UInt32 = 0) {
        makeUnique(reservingOneMore: true)
        storage.unsafelyUnwrapped.insertNew(key, entry, node: node)
    }

    /// Removes the entry under `key`; returns it, or nil when absent.
    @inlinable
    mutating func remove(_ key: EntryKey) -> Entry<Value>? {
        guard let slot = slot(of: key) else { return nil }
        makeUnique()
        return storage.unsafelyUnwrapped.remove(at: slot)
    }

    /// Ensures `storage` is uniquely referenced (and, when inserting, has room for one more).
    @inlinable
    mutating func makeUnique(reservingOneMore: Bool = false) {
        // Check uniqueness before binding the storage to a local: the local would count.
        let isUnique = isKnownUniquelyReferenced(&storage)
        guard let current = storage else {
            if reservingOneMore { storage = Storage.create(capacity: Storage.minimumCapacity) }
            return
        }
        if reservingOneMore && !Storage.fits(current.entryCount &+ 1, capacity: current.slotCount) {
            storage = current.copy(capacity: current.slotCount &* 2)
        } else if !isUnique {
            storage = current.copy(capacity: current.slotCount)
        }
    }
}

extension EntryTable {
    /// Calls `body` with each key and entry, in slot order, skipping the entries whose cache node
    /// is in `skipped` (the expired ones of a snapshot); faster than iterating the sequence (the
    /// slots are walked through one pointer).
    @inlinable
    func forEachEntry(skipping skipped: Set<UInt32> = [], _ body: (String, Entry<Value>) throws -> Void) rethrows {
        guard let storage else { return }
        try storage.withUnsafeMutablePointers { header, slots in
            let capacity = header.pointee.capacity
            var index = 0
            while index < capacity {
                if slots[index].hash != 0 && (skipped.isEmpty || !skipped.contains(slots[index].node)) {
                    try body(slots[index].key, slots[index].entry.unsafelyUnwrapped)
                }
                index &+= 1
            }
        }
    }

    /// The slot and cache node of `key`, or nil.
    @inlinable
    func slotAndNode(of key: EntryKey) -> (slot: Int, node: UInt32)? {
        guard let storage, let slot = storage.slot(of: key) else { return nil }
        return (slot, storage.node(at: slot))
    }
}

extension EntryTable: Sequence {
    /// Iterates `(key, entry)` pairs in slot order.
    @usableFromInline
    struct Iterator: IteratorProtocol {
        @usableFromInline let storage: Storage?
        @usableFromInline var slot = 0

        @inlinable
        init(storage: Storage?) {
            self.storage = storage
        }

        @inlinable
        mutating func next() -> (key: String, entry: Entry<Value>)? {
            guard let storage else { return nil }
            let capacity = storage.slotCount
            while slot < capacity {
                defer { slot &+= 1 }
                if let item = storage.item(at: slot) { return item }
            }
            return nil
        }
    }

    @inlinable
    func makeIterator() -> Iterator { Iterator(storage: storage) }

    @inlinable
    var underestimatedCount: Int { count }
}

/// The header of an ``EntryTableStorage``.
@usableFromInline
struct EntryTableHeader {
    @usableFromInline var count: Int
    @usableFromInline let capacity: Int

    @inlinable
    init(count: Int, capacity: Int) {
        self.count = count
        self.capacity = capacity
    }
}

/// One slot: empty when `hash` is 0, then `key` is empty, `entry` nil and `node` 0. Fields are
/// read in place, so a probe copies nothing.
///
/// `hash` is the key's ``EntryKey/slotHash`` (the low 32 bits of its hash, never 0): the bits
/// that place it in the table, and enough to skip nearly every other key of a probe run without
/// comparing strings. With the 32-bit `node` it fills one word, so the cache's node id costs no
/// memory.
@usableFromInline
struct EntrySlot<Value: Sendable> {
    @usableFromInline var hash: UInt32
    /// The entry's node in its kind's ``KindCache`` (expiry, eviction), or 0 when it has none.
    @usableFromInline var node: UInt32
    @usableFromInline var key: String
    @usableFromInline var entry: Entry<Value>?

    @inlinable
    init(hash: UInt32, key: String, entry: Entry<Value>?, node: UInt32) {
        self.hash = hash
        self.node = node
        self.key = key
        self.entry = entry
    }

    @inlinable
    static var empty: EntrySlot { EntrySlot(hash: 0, key: "", entry: nil, node: 0) }
}

/// The tail-allocated slots of an ``EntryTable``. Every slot is always initialized (empty ones
/// hold a nil item), so copying and deinitializing are uniform.
@usableFromInline
final class EntryTableStorage<Value: Sendable>: ManagedBuffer<EntryTableHeader, EntrySlot<Value>> {
    /// The capacity of a table's first storage (a power of two).
    @usableFromInline static var minimumCapacity: Int { 16 }
    /// The highest fraction of slots in use: an insertion that would exceed it doubles the
    /// capacity first. 4/5 keeps linear-probing runs short (about 3 probes per miss) while the
    /// table stays dense.
    @usableFromInline static var maxLoad: (numerator: Int, denominator: Int) { (4, 5) }

    /// The number of entries. Read through the header pointer: `ManagedBuffer.header` is a class
    /// property, whose every access would go through the run-time exclusivity check
    /// (`swift_beginAccess`, about 40 instructions).
    @inlinable
    var entryCount: Int {
        @inline(__always) get { withUnsafeMutablePointerToHeader { $0.pointee.count } }
    }

    /// The number of slots (a power of two), read like ``entryCount``. (Not `ManagedBuffer`'s
    /// `capacity`, which asks the allocator.)
    @inlinable
    var slotCount: Int {
        @inline(__always) get { withUnsafeMutablePointerToHeader { $0.pointee.capacity } }
    }

    /// Whether `count` entries fit in `capacity` slots within ``maxLoad``.
    @inlinable @inline(__always)
    static func fits(_ count: Int, capacity: Int) -> Bool {
        count &* maxLoad.denominator <= capacity &* maxLoad.numerator
    }

    @inlinable
    static func create(capacity: Int) -> EntryTableStorage<Value> {
        let storage = unsafeDowncast(
            Self.create(minimumCapacity: capacity) { _ in EntryTableHeader(count: 0, capacity: capacity) },
            to: EntryTableStorage<Value>.self)
        storage.withUnsafeMutablePointerToElements { slots in
            slots.initialize(repeating: .empty, count: capacity)
        }
        return storage
    }

    deinit {
        _ = withUnsafeMutablePointers { header, slots in
            slots.deinitialize(count: header.pointee.capacity)
        }
    }

    /// A copy with `capacity` slots (the same or larger). With the same capacity slot positions
    /// are kept; a larger one re-places every item.
    @inlinable
    func copy(capacity: Int) -> EntryTableStorage<Value> {
        let copy = EntryTableStorage.create(capacity: capacity)
        withUnsafeMutablePointers { header, slots in
            let oldCapacity = header.pointee.capacity
            copy.withUnsafeMutablePointers { newHeader, newSlots in
                if capacity == oldCapacity {
                    newSlots.update(from: slots, count: capacity)
                } else {
                    let mask = capacity &- 1
                    for index in 0..<oldCapacity where slots[index].hash != 0 {
                        var target = Int(slots[index].hash) & mask
                        while newSlots[target].hash != 0 { target = (target &+ 1) & mask }
                        newSlots[target] = slots[index]
                    }
                }
                newHeader.pointee.count = header.pointee.count
            }
        }
        return copy
    }

    @inlinable
    func slot(of key: EntryKey) -> Int? {
        withUnsafeMutablePointers { header, slots in
            let mask = header.pointee.capacity &- 1
            let target = key.slotHash
            var index = Int(target) & mask
            while true {
                let hash = slots[index].hash
                if hash == 0 { return nil }
                if hash == target && slots[index].key == key.key { return index }
                index = (index &+ 1) & mask
            }
        }
    }

    @inlinable
    func entry(at slot: Int) -> Entry<Value> {
        withUnsafeMutablePointerToElements { slots in slots[slot].entry.unsafelyUnwrapped }
    }

    @inlinable
    func item(at slot: Int) -> (key: String, entry: Entry<Value>)? {
        withUnsafeMutablePointerToElements { slots in
            slots[slot].hash == 0 ? nil : (slots[slot].key, slots[slot].entry.unsafelyUnwrapped)
        }
    }

    @inlinable
    func replaceEntry(at slot: Int, with entry: Entry<Value>) {
        withUnsafeMutablePointerToElements { slots in slots[slot].entry = entry }
    }

    @inlinable
    func node(at slot: Int) -> UInt32 {
        withUnsafeMutablePointerToElements { slots in slots[slot].node }
    }

    @inlinable
    func setNode(_ node: UInt32, at slot: Int) {
        withUnsafeMutablePointerToElements { slots in slots[slot].node = node }
    }

    /// Inserts an absent key. Caller ensured there is room.
    @inlinable
    func insertNew(_ key: EntryKey, _ entry: Entry<Value>, node: UInt32) {
        withUnsafeMutablePointers { header, slots in
            let mask = header.pointee.capacity &- 1
            let hash = key.slotHash
            var index = Int(hash) & mask
            while slots[index].hash != 0 { index = (index &+ 1) & mask }
            slots[index] = EntrySlot(hash: hash, key: key.key, entry: entry, node: node)
            header.pointee.count &+= 1
        }
    }

    /// Empties an occupied slot and shifts later items of its probe run back (so lookups never
    /// need tombstones). Returns the removed entry.
    @inlinable
    func remove(at slot: Int) -> Entry<Value> {
        withUnsafeMutablePointers { header, slots in
            let mask = header.pointee.capacity &- 1
            let removed = slots[slot].entry.unsafelyUnwrapped
            var hole = slot
            var next = (slot &+ 1) & mask
            while slots[next].hash != 0 {
                let home = Int(slots[next].hash) & mask
                // Move `next` into the hole unless its home lies cyclically in (hole, next].
                let distanceToNext = (next &- home) & mask
                let distanceToHole = (hole &- home) & mask
                if distanceToHole < distanceToNext {
                    slots[hole] = slots[next]
                    hole = next
                }
                next = (next &+ 1) & mask
            }
            slots[hole] = .empty
            header.pointee.count &-= 1
            return removed
        }
    }
}
