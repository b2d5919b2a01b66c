/// A value guarded by a ``ThreadLock`` (a pthread mutex, which Thread Sanitizer sees, unlike
/// `Synchronization.Mutex` on Linux).
///
/// Invariant: `state` is accessed only inside ``withLock(_:)``. Not recursive. `State` is not
/// empty: a lock that guards state kept elsewhere is a ``ThreadLock`` (Thread Sanitizer placed
/// the accesses to an empty `state` at the object's own address, and reported them as racing with
/// the reads of its header by callers that had not taken the lock yet).
@usableFromInline
package final class Locked<State>: @unchecked Sendable {
    // @unchecked: `state` is only touched while `lock` is held (see the invariant above).
    private let lock = ThreadLock()
    private var state: State

    package init(_ state: State) {
        self.state = state
    }

    /// Runs `body` with exclusive access to the state.
    @usableFromInline
    package func withLock<Result, Failure: Error>(_ body: (inout State) throws(Failure) -> Result) throws(Failure) -> Result {
        // lock()/unlock() rather than ThreadLock.withLock: a closure around `body` would be one
        // more generic call on every locked access (the write-behind queue takes this per write).
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }
}
