#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A `pthread_mutex_t` (allocated once, never moved) that guards whatever its owner says it
/// guards: for state that lives elsewhere (the LRU queue links of a ``KindCache``); state of its
/// own goes in a ``Locked``.
///
/// A pthread mutex because Thread Sanitizer intercepts pthread mutexes but not the futex-based
/// `Mutex` of the Linux standard library, so races would be misreported. Not recursive.
@usableFromInline
package final class ThreadLock: @unchecked Sendable {
    // @unchecked: `mutex` is immutable and a pthread mutex may be used from any thread.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let rc = pthread_mutex_init(mutex, nil)
        precondition(rc == 0, "pthread_mutex_init failed: \(rc)")
    }

    deinit {
        // Nobody holds the lock: `self` is being destroyed, so no `withLock` can be running.
        let rc = pthread_mutex_destroy(mutex)
        precondition(rc == 0, "pthread_mutex_destroy failed: \(rc)")
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` holding the lock.
    @usableFromInline
    package func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Takes the lock; pair with ``unlock()`` (prefer ``withLock(_:)``).
    package func lock() {
        let locked = pthread_mutex_lock(mutex)
        precondition(locked == 0, "pthread_mutex_lock failed: \(locked)")
    }

    /// Releases the lock taken by ``lock()``.
    package func unlock() {
        let unlocked = pthread_mutex_unlock(mutex)
        precondition(unlocked == 0, "pthread_mutex_unlock failed: \(unlocked)")
    }
}
