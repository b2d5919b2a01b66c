#if canImport(Glibc)
public import Glibc
#elseif canImport(Musl)
public import Musl
#elseif canImport(Darwin)
public import Darwin
#endif

/// A `pthread_rwlock_t` allocated once on the heap and never moved, as POSIX requires.
///
/// Many readers or one writer. Not recursive: a thread holding the lock must not take it again.
/// The lock is destroyed when the owner deinitializes, which must be after every holder released it.
@usableFromInline
final class ReadWriteLock: @unchecked Sendable {
    // @unchecked: the only stored state is the pointer to the pthread lock, which is itself
    // the synchronization primitive; it is set once in init and never reassigned.
    @usableFromInline
    let handle: UnsafeMutablePointer<pthread_rwlock_t>

    @usableFromInline
    init() {
        handle = .allocate(capacity: 1)
        handle.initialize(to: pthread_rwlock_t())
        let rc = pthread_rwlock_init(handle, nil)
        precondition(rc == 0, "pthread_rwlock_init failed: \(rc)")
    }

    deinit {
        pthread_rwlock_destroy(handle)
        handle.deinitialize(count: 1)
        handle.deallocate()
    }

    /// Takes the lock shared. Pair with ``unlock()``.
    @inlinable @inline(__always)
    func lockShared() {
        let rc = pthread_rwlock_rdlock(handle)
        precondition(rc == 0, "pthread_rwlock_rdlock failed: \(rc)")
    }

    /// Takes the lock exclusively. Pair with ``unlock()``.
    @inlinable @inline(__always)
    func lockExclusive() {
        let rc = pthread_rwlock_wrlock(handle)
        precondition(rc == 0, "pthread_rwlock_wrlock failed: \(rc)")
    }

    /// Releases the lock taken by this thread, shared or exclusive.
    @inlinable @inline(__always)
    func unlock() {
        let rc = pthread_rwlock_unlock(handle)
        precondition(rc == 0, "pthread_rwlock_unlock failed: \(rc)")
    }

    /// Runs `body` holding the lock shared.
    @inlinable @inline(__always)
    func withSharedLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lockShared()
        defer { unlock() }
        return try body()
    }

    /// Runs `body` holding the lock exclusively.
    @inlinable @inline(__always)
    func withExclusiveLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lockExclusive()
        defer { unlock() }
        return try body()
    }
}
