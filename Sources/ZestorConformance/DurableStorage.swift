public import Zestor

/// One empty place where a backend keeps rows — a database file, a namespace — on which the
/// ``DurabilitySuite`` opens stores, one after another and side by side.
public struct DurableStorage: Sendable {
    /// Opens a new store in the given mode and with the given options over the storage, with a
    /// backend instance of its own.
    public typealias Opener = @Sendable (WriteMode, StoreOptions<ConformanceValue>) async throws
        -> DurableStore<ConformanceValue>

    private let opener: Opener
    private let remover: @Sendable () async throws -> Void

    /// Creates a storage.
    /// - Parameters:
    ///   - open: opens a store over this storage with the options given (pass them to
    ///     `DurableStore.open`); called several times per case. A store must load everything the
    ///     stores opened before it committed.
    ///   - remove: disposes of the storage once every store of the case is closed (default: nothing).
    public init(open: @escaping Opener, remove: @escaping @Sendable () async throws -> Void = {}) {
        opener = open
        remover = remove
    }

    /// Opens a new store over this storage.
    public func open(_ mode: WriteMode, options: StoreOptions<ConformanceValue> = .init()) async throws
        -> DurableStore<ConformanceValue> {
        try await opener(mode, options)
    }

    /// Disposes of the storage.
    public func remove() async throws {
        try await remover()
    }
}
