public import Logging
public import ServiceLifecycle
public import Zestor

/// A ``Zestor/DurableStore`` run as a swift-service-lifecycle `Service`: add it to the server's
/// `ServiceGroup` and the store is flushed and closed when the group shuts down.
///
/// ```swift
/// let store = try await DurableStore<Session>.open(backend: try SQLiteBackend(path: path),
///                                                  mode: .writeBehind(WriteBehindPolicy()))
/// let group = ServiceGroup(configuration: .init(
///     services: [DurableStoreService(store, logger: logger), app],
///     gracefulShutdownSignals: [.sigterm], logger: logger))
/// try await group.run()
/// ```
///
/// ``run()`` waits for the group's graceful shutdown (or for its task to be cancelled), then
/// closes the store, which first waits for the writes in progress and — in write-behind mode —
/// commits everything acknowledged before. List it before the services that write to the store:
/// the group shuts its services down in reverse order, so it closes the store after them.
public struct DurableStoreService<Value: Codable & Sendable>: Service {
    /// The store this service closes.
    public let store: DurableStore<Value>
    private let logger: Logger

    /// Creates the service of `store`, reporting to `logger`.
    public init(_ store: DurableStore<Value>, logger: Logger = Logger(label: "zestor.service")) {
        self.store = store
        self.logger = logger
    }

    /// Returns once the store is closed, after the group's graceful shutdown began (or this task
    /// was cancelled). Throws what closing throws.
    public func run() async throws {
        // Returns at graceful shutdown; throws CancellationError when the task is cancelled.
        try? await gracefulShutdown()
        logger.debug("closing the durable store", metadata: ["writeBehind": "\(store.writeBehindStatus.map { "\($0.pending) pending" } ?? "off")"])
        // Closing must run to its end even in a cancelled task (it commits what write-behind
        // holds): it runs in a task of its own, which does not inherit the cancellation.
        let store = self.store
        try await Task { try await store.close() }.value
        logger.debug("closed the durable store")
    }
}
