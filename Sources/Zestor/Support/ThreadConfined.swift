/// A value that only one ``BlockingExecutor``'s thread may touch.
///
/// Lets a `Sendable` owner (a backend) hold non-`Sendable` library objects: every access
/// goes through ``withValue(_:)``, which checks it runs on the executor's thread.
package final class ThreadConfined<Value>: @unchecked Sendable {
    // @unchecked: `value` is accessed only in `withValue`, which preconditions that the caller
    // runs on `executor`'s single thread, where jobs run one at a time — accesses never overlap.
    // (The initial value is stored before the box is shared.)
    private var value: Value
    private let executor: BlockingExecutor

    package init(_ value: Value, on executor: BlockingExecutor) {
        self.value = value
        self.executor = executor
    }

    /// Runs `body` with the value. Must be called on the executor's thread.
    package func withValue<R, Failure: Error>(_ body: (inout Value) throws(Failure) -> R) throws(Failure) -> R {
        precondition(executor.isCurrent, "ThreadConfined value touched off its executor thread")
        return try body(&value)
    }
}
