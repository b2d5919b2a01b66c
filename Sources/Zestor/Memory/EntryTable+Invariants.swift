extension EntryTable {
    /// Traps unless the table's invariants hold (see ``EntryTable``): `count` equals the occupied
    /// slots, no probe gaps, the load within ``EntryTableStorage/maxLoad``, a power-of-two
    /// capacity, and empty slots holding no entry. O(capacity); it runs in debug builds only
    /// (tests call it throughout their operation sequences) and compiles to nothing in
    /// release builds, like swift-collections' `_checkInvariants`.
    @inlinable @inline(__always)
    func _checkInvariants() {
        #if DEBUG
        _checkInvariantsSlowly()
        #endif
    }

    @usableFromInline
    func _checkInvariantsSlowly() {
        guard let storage else { return }
        storage.withUnsafeMutablePointers { header, slots in
            let capacity = header.pointee.capacity
            precondition(capacity >= Storage.minimumCapacity && capacity & (capacity &- 1) == 0,
                         "EntryTable capacity \(capacity) is not a power of two of at least \(Storage.minimumCapacity)")
            let mask = capacity &- 1
            var occupied = 0
            for index in 0..<capacity {
                let slot = slots[index]
                if slot.hash == 0 {
                    precondition(slot.entry == nil && slot.key.isEmpty, "EntryTable: empty slot \(index) holds an item")
                    continue
                }
                occupied &+= 1
                precondition(slot.entry != nil, "EntryTable: occupied slot \(index) has no entry")
                var probe = Int(slot.hash) & mask
                while probe != index {
                    precondition(slots[probe].hash != 0,
                                 "EntryTable: probe gap at \(probe) between the home of slot \(index) and the slot")
                    probe = (probe &+ 1) & mask
                }
            }
            precondition(occupied == header.pointee.count,
                         "EntryTable count \(header.pointee.count) != \(occupied) occupied slots")
            precondition(Storage.fits(occupied, capacity: capacity),
                         "EntryTable load \(occupied)/\(capacity) exceeds \(Storage.maxLoad)")
        }
    }
}
