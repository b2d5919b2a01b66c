/// A ``Snapshot`` as an `AsyncSequence` (``Snapshot/async``), for code that streams entries out
/// (a server writing a response body) one at a time without collecting them first.
///
/// Iteration never suspends on the store: the snapshot holds no lock. It ends early, normally,
/// when the iterating task is cancelled.
public struct AsyncSnapshot<Value: Sendable>: AsyncSequence, Sendable {
    public typealias Element = KeyValue<Value>
    public typealias Failure = Never

    @usableFromInline let snapshot: Snapshot<Value>

    @inlinable
    init(_ snapshot: Snapshot<Value>) {
        self.snapshot = snapshot
    }

    @inlinable
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(snapshot.makeIterator()) }

    /// Iterates an ``AsyncSnapshot``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        @usableFromInline var base: Snapshot<Value>.Iterator

        @inlinable
        init(_ base: Snapshot<Value>.Iterator) {
            self.base = base
        }

        @inlinable
        public mutating func next(isolation actor: isolated (any Actor)? = #isolation) async -> KeyValue<Value>? {
            Task.isCancelled ? nil : base.next()
        }

        @inlinable
        public mutating func next() async -> KeyValue<Value>? {
            Task.isCancelled ? nil : base.next()
        }
    }
}

extension Snapshot {
    /// The entries as an `AsyncSequence`, in the same order.
    @inlinable
    public var async: AsyncSnapshot<Value> { AsyncSnapshot(self) }
}
