import Foundation
import Logging
import Synchronization
import Zestor

/// The cross-process change feed of one ``PostgresBackend``: a dedicated listener connection that
/// `LISTEN`s on `zestor_events` and turns the namespace's new outbox rows written by *other*
/// backends into `FeedBatch`es.
///
/// Threading: the listener connection is created, used and closed only inside one long-running
/// job on the feed's own `BlockingExecutor` thread (a local variable of that job, never shared).
/// The job waits for the socket with `poll` (at most ``pollInterval``, so that ``stop()`` is seen
/// promptly), reads notifications, and drains the outbox by id from the last id delivered.
///
/// Catch-up: the feed starts from the outbox high-water mark taken when the backend opened, and
/// drains once right after every (re)connect + `LISTEN`, so rows committed while it was not
/// listening are delivered too. If the outbox no longer holds them — pruned past the feed's
/// position while it was cut off for longer than ``PostgresBackend/Options/outboxCursorLiveness``,
/// which every page read detects — the feed reads every row of `zestor_kv` with the position they
/// reflect and delivers them as `FeedBatch/resynchronize(_:missedAfter:)`, then goes on
/// from that position. Lost connections are retried with ``reconnectBackoff``.
final class ChangeFeed: Sendable {
    static let pollInterval: Int32 = 100  // milliseconds
    static let drainLimit = 1_000
    /// The pauses between two attempts to reconnect: 50 ms doubling to 5 s.
    static let reconnectBackoff = Backoff(initial: .milliseconds(50), maximum: .seconds(5))
    static let safetyDrainInterval: Duration = .seconds(5)

    /// The batches, oldest first. Single consumer; ends after ``stop()``.
    let stream: AsyncStream<FeedBatch>
    private let executor: BlockingExecutor
    private let stopped: StopFlag

    /// Starts the listener thread; connecting happens there (failures are retried, not thrown).
    init(url: String, namespace: Int64, origin: String, options: PostgresBackend.Options,
         startAfter highWaterMark: Int64, logger: Logger) {
        let (stream, continuation) = AsyncStream<FeedBatch>.makeStream(bufferingPolicy: .unbounded)
        let executor = BlockingExecutor(name: "zestor.postgres.listener", closedError: PostgresError.backendClosed)
        let stopped = StopFlag()
        self.stream = stream
        self.executor = executor
        self.stopped = stopped
        let listener = Listener(url: url, namespace: namespace, origin: origin, options: options,
                                lastID: highWaterMark, stopped: stopped, continuation: continuation, logger: logger)
        let accepted = executor.submit { listener.run() }
        if !accepted { continuation.finish() }
    }

    deinit {
        stopped.set()
        executor.shutdown()
    }

    /// Stops listening: the thread closes its connection and ends ``stream``. Returns once it has.
    /// Idempotent.
    func stop() async {
        stopped.set()
        // Jobs run in order: this one runs after the listener job has returned.
        try? await executor.run {}
        executor.shutdown()
    }
}

/// Set once by ``ChangeFeed/stop()``, polled by the listener thread.
private final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// The listener job's state and loop. Created by ``ChangeFeed`` and then used only by its one job,
/// on the feed's thread.
private final class Listener: @unchecked Sendable {
    // @unchecked: the instance is handed to exactly one job (`executor.submit { listener.run() }`)
    // before anything mutable is touched; `session` and `lastID` are then read and written only by
    // `run()` on that one thread. The Sendable members (`stopped`, `continuation`) are shared safely.
    private let url: String
    private let namespace: Int64
    private let origin: String
    private let options: PostgresBackend.Options
    private let stopped: StopFlag
    private let continuation: AsyncStream<FeedBatch>.Continuation
    private let logger: Logger
    private var session: PostgresSession?
    private var lastID: Int64
    /// `session.resetCount` when `LISTEN` last succeeded; a different count means the session
    /// was reset since and must `LISTEN` again.
    private var listeningSession = -1
    private var lastDrain = ContinuousClock.now

    init(url: String, namespace: Int64, origin: String, options: PostgresBackend.Options, lastID: Int64,
         stopped: StopFlag, continuation: AsyncStream<FeedBatch>.Continuation, logger: Logger) {
        self.url = url
        self.namespace = namespace
        self.origin = origin
        self.options = options
        self.lastID = lastID
        self.stopped = stopped
        self.continuation = continuation
        self.logger = logger
    }

    /// The loop: (re)connect and catch up, wait for notifications, drain. Returns when stopped.
    func run() {
        defer {
            try? session?.dropCursor()
            session?.close()
            session = nil
            continuation.finish()
        }
        var backoff = ChangeFeed.reconnectBackoff
        while !stopped.isSet {
            do {
                if session == nil || session?.isBroken == true || session?.resetCount != listeningSession {
                    try connect()
                    backoff.reset()
                }
                // A drain every safetyDrainInterval even without notification: cheap insurance.
                if try waitForNotifications() || ContinuousClock.now - lastDrain > ChangeFeed.safetyDrainInterval {
                    try drain()
                }
            } catch {
                logger.warning("change feed: PostgreSQL listener failed; retrying", metadata: [
                    "namespace": "\(namespace)", "error": "\(error)", "retryIn": "\(backoff.current)",
                ])
                sleep(backoff.next())
            }
        }
    }

    /// Opens (or resets) the listener connection, `LISTEN`s, then drains what was missed.
    private func connect() throws {
        let listening: PostgresSession
        if let session {
            listening = session
        } else {
            listening = try PostgresSession(
                url: url, namespace: namespace, origin: origin, options: options, createSchema: false,
                applicationName: "zestor-listener-\(origin)", logger: logger)
            session = listening
        }
        try listening.listen()  // resets a broken connection first
        listeningSession = listening.resetCount
        try drain()
    }

    /// Waits up to ``ChangeFeed/pollInterval`` for input; `true` when a notification for this
    /// namespace with an id above the last delivered one arrived.
    ///
    /// Notifications that reached the connection while a drain's queries ran were read off the
    /// socket by libpq and sit in its queue, invisible to `poll`: they are taken first, or a
    /// change committed during a drain would wait for the next notification (or the safety
    /// drain) to be delivered.
    private func waitForNotifications() throws -> Bool {
        guard let session else { return false }
        if try announcesNewRows(session.consumeNotifications()) { return true }
        var descriptor = pollfd(fd: session.socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, ChangeFeed.pollInterval)
        if ready < 0 {
            if errno == EINTR { return false }
            throw PostgresError(message: "poll failed: errno \(errno)")
        }
        guard ready > 0 else { return false }
        return try announcesNewRows(session.consumeNotifications())
    }

    /// Whether one of `notifications` names this namespace and an outbox id not drained yet.
    private func announcesNewRows(_ notifications: [(channel: String, payload: String)]) -> Bool {
        let prefix = "\(namespace):"
        return notifications.contains { notification in
            guard notification.channel == PostgresSessionSQL.channel, notification.payload.hasPrefix(prefix) else { return false }
            return Int64(notification.payload.dropFirst(prefix.count)).map { $0 > lastID } ?? true
        }
    }

    /// Reads the outbox after the last delivered id until it is exhausted, yielding one batch per
    /// page (without this backend's own rows, but always with the position reached), or a
    /// resynchronization when rows after the last delivered id were pruned (``resynchronize(prunedThrough:)``).
    /// Records the position reached as this origin's cursor, so outbox pruning keeps every row
    /// this feed has not delivered yet.
    private func drain() throws {
        guard let session else { return }
        lastDrain = .now
        defer {
            do {
                try session.recordCursor(lastID: lastID)
            } catch {
                logger.warning("change feed: cannot record the outbox cursor", metadata: [
                    "namespace": "\(namespace)", "error": "\(error)",
                ])
            }
        }
        while !stopped.isSet {
            let (prunedThrough, page) = try session.outboxPage(after: lastID, limit: ChangeFeed.drainLimit)
            if prunedThrough > lastID {
                try resynchronize(prunedThrough: prunedThrough)
                continue
            }
            guard let last = page.last else { return }
            lastID = last.id
            let foreign = page.filter { $0.origin != origin }.map {
                FeedChange($0.mutation, at: UInt64(clamping: $0.id))
            }
            continuation.yield(.changes(foreign, through: UInt64(clamping: lastID)))
            if page.count < ChangeFeed.drainLimit { return }
        }
    }

    /// The outbox rows after ``lastID`` were pruned (up to `prunedThrough`) before this feed read
    /// them: reads every row of the namespace with the position they reflect, in one snapshot,
    /// yields them for the store to diff against its memory, and continues after that position.
    private func resynchronize(prunedThrough: Int64) throws {
        guard let session else { return }
        logger.warning("change feed: outbox pruned past this feed's position; resynchronizing from zestor_kv", metadata: [
            "namespace": "\(namespace)", "lastID": "\(lastID)", "prunedThrough": "\(prunedThrough)",
        ])
        let snapshot = try session.loadAll()
        let missedAfter = lastID
        lastID = max(lastID, Int64(clamping: snapshot.position ?? 0), prunedThrough)
        continuation.yield(.resynchronize(snapshot, missedAfter: UInt64(clamping: missedAfter)))
    }

    /// Sleeps `duration` in short steps, returning early when stopped.
    private func sleep(_ duration: Duration) {
        let deadline = ContinuousClock.now + duration
        while !stopped.isSet, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
    }
}
