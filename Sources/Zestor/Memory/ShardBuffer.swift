#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns the memory of a store's lock stripes: `count` blocks of ``Shard/stride`` bytes, aligned
/// to 128 bytes, each holding an initialized `pthread_rwlock_t` and its tables. Allocated once
/// and never moved (POSIX locks must not move); destroyed with the store.
@usableFromInline
final class ShardBuffer<Value: Sendable>: RandomAccessCollection, @unchecked Sendable {
    // @unchecked: `base` is immutable; the memory it points to is only accessed through `Shard`
    // handles, under each stripe's own lock (see `Shard`).
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline let count: Int
    /// Right shift that turns a hash into a stripe index (its top bits).
    @usableFromInline let shift: Int

    init(count: Int) {
        precondition(count > 0 && count & (count - 1) == 0, "shard count must be a power of two")
        precondition(Shard<Value>.kindIndexOffset + MemoryLayout<[String: Int]>.stride <= Shard<Value>.stride)
        precondition(MemoryLayout<pthread_rwlock_t>.size <= Shard<Value>.tablesOffset)
        self.count = count
        shift = Int.bitWidth - count.trailingZeroBitCount
        base = .allocate(byteCount: count * Shard<Value>.stride, alignment: 128)
        for index in 0..<count {
            let block = base + index * Shard<Value>.stride
            let lock = block.bindMemory(to: pthread_rwlock_t.self, capacity: 1)
            lock.initialize(to: pthread_rwlock_t())
            let rc = pthread_rwlock_init(lock, nil)
            precondition(rc == 0, "pthread_rwlock_init failed: \(rc)")
            (block + Shard<Value>.tablesOffset).bindMemory(to: ContiguousArray<KindTable<Value>>.self, capacity: 1)
                .initialize(to: [])
            (block + Shard<Value>.kindIndexOffset).bindMemory(to: [String: Int].self, capacity: 1)
                .initialize(to: [:])
        }
    }

    deinit {
        for index in 0..<count {
            let block = base + index * Shard<Value>.stride
            let shard = Shard<Value>(base: block)
            // No lock is held: the store owning this buffer is being destroyed.
            let rc = pthread_rwlock_destroy(shard.lock)
            precondition(rc == 0, "pthread_rwlock_destroy failed: \(rc)")
            (block + Shard<Value>.tablesOffset).assumingMemoryBound(to: ContiguousArray<KindTable<Value>>.self).deinitialize(count: 1)
            (block + Shard<Value>.kindIndexOffset).assumingMemoryBound(to: [String: Int].self).deinitialize(count: 1)
        }
        base.deallocate()
    }

    @inlinable var startIndex: Int { 0 }
    @inlinable var endIndex: Int { count }

    /// The stripe at `index` (0..<count).
    @inlinable @inline(__always)
    subscript(index: Int) -> Shard<Value> {
        Shard(base: base + index &* Shard<Value>.stride)
    }

    /// The stripe owning a key's hash (``EntryKey/hash(of:)``, of the key alone, not the kind):
    /// its top bits, leaving the low bits (the ones the tables' buckets use) independent of the
    /// stripe.
    @inlinable @inline(__always)
    func index(for hash: Int) -> Int {
        Int(truncatingIfNeeded: UInt(bitPattern: hash) >> UInt(shift))
    }
}
