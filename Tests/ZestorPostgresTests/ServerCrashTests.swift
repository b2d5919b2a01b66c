import Foundation
import Synchronization
import Testing
import Zestor
import ZestorConformance
import ZestorPostgres

/// PostgreSQL crashing (`pg_ctl stop -m immediate`, durable settings: `fsync=on`,
/// `synchronous_commit=on`) again and again under traffic: afterwards memory equals the database
/// for every key, no key is stuck, a fresh store loads exactly memory's contents and a replica's
/// watcher ends in the same state. Each test runs its own cluster (``ThrowawayCluster``).
@Suite("PostgreSQL server crash", .serialized, .enabled(if: hasPostgres, "ZESTOR_POSTGRES_URL is not set"))
struct ServerCrashTests {
    static let kind = "items"
    static let keySpace = 300
    static let writers = 8
    static let crashes = 4

    static func open(_ url: String, _ namespace: Int64, _ mode: WriteMode,
                     operationTimeout: Duration = .seconds(5)) async throws -> DurableStore<ConformanceValue> {
        try await DurableStore<ConformanceValue>.open(
            backend: try PostgresBackend(url: url, namespace: namespace, options: .init(operationTimeout: operationTimeout)),
            mode: mode)
    }

    /// How the store under test writes. A crash keeps the server away for about 2 s (1 s down,
    /// then crash recovery): longer than the 1 s `operationTimeout` of `.writeThroughInDoubt`, so
    /// commits cut off by a crash end in doubt and are resolved in the background; shorter than
    /// the 5 s of the other modes, so those commits are settled before the writer is answered.
    enum Mode: String, CaseIterable, Sendable {
        case writeThrough, writeThroughInDoubt, writeBehind

        var writeMode: WriteMode {
            self == .writeBehind ? .writeBehind(WriteBehindPolicy(maxDelay: .milliseconds(2))) : .writeThrough
        }

        var operationTimeout: Duration { self == .writeThroughInDoubt ? .seconds(1) : .seconds(5) }
    }

    /// What the writer tasks saw.
    struct Traffic: Sendable {
        var writes = 0
        /// Keys whose last write threw, and how: every write error but a version conflict is
        /// expected while the server is down.
        var failedKeys: Set<String> = []
        var inDoubt = 0
        var versionConflicts: [String] = []
        var otherFailures = 0

        mutating func merge(_ other: Traffic) {
            writes += other.writes
            failedKeys.formUnion(other.failedKeys)
            inDoubt += other.inDoubt
            versionConflicts += other.versionConflicts
            otherFailures += other.otherFailures
        }
    }

    /// Shared by the writer tasks: when to stop, and the next value's number.
    final class Control: Sendable {
        let stop = Atomic<Bool>(false)
        let counter = Atomic<Int>(0)
    }

    /// One writer: sets (new keys and overwrites) and deletes of random keys until told to stop.
    static func write(_ store: DurableStore<ConformanceValue>, writer: Int, control: Control) async -> Traffic {
        var traffic = Traffic()
        var generator = SystemRandomNumberGenerator()
        while !control.stop.load(ordering: .relaxed) {
            let key = "k\(Int.random(in: 0..<keySpace, using: &generator))"
            let n = control.counter.wrappingAdd(1, ordering: .relaxed).newValue
            do {
                if Int.random(in: 0..<100, using: &generator) < 15 {
                    try await store.delete(kind, key)
                } else {
                    try await store.set(kind, key, ConformanceValue(name: "w\(writer)", n: n))
                }
                traffic.writes += 1
                traffic.failedKeys.remove(key)
            } catch let error as StoreError {
                traffic.failedKeys.insert(key)
                if case .commitOutcomeUnknown = error { traffic.inDoubt += 1 }
                if case .versionConflict = error { traffic.versionConflicts.append("\(error)") }
                try? await Task.sleep(for: .milliseconds(20))
            } catch {
                traffic.failedKeys.insert(key)
                traffic.otherFailures += 1
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        return traffic
    }

    /// Follows `watch`, keeping the state its events describe (create/update set, delete removes).
    final class WatchedState: Sendable {
        private final class Entries: Sendable {
            let state = Mutex<[String: ConformanceValue]>([:])
        }

        private let entries: Entries
        let task: Task<Void, any Error>

        init(_ watch: Watch<ConformanceValue>) {
            let entries = Entries()
            self.entries = entries
            task = Task {
                for try await event in watch {
                    entries.state.withLock { state in
                        if event.type == .delete { state[event.key] = nil } else { state[event.key] = event.value }
                    }
                }
            }
        }

        var current: [String: ConformanceValue] { entries.state.withLock { $0 } }
    }

    /// Polls `condition` every 50 ms until it holds or `seconds` passed; returns whether it held.
    static func eventually(_ seconds: Double, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try condition()
    }

    /// Memory's entries of `kind` with their versions.
    static func versioned(_ store: DurableStore<ConformanceValue>) throws -> [String: Versioned<ConformanceValue>] {
        var entries: [String: Versioned<ConformanceValue>] = [:]
        for key in try store.keys(kind) { entries[key] = try store.getVersioned(kind, key) }
        return entries
    }

    /// The keys whose value or version differ between `memory` and `stored`, described.
    static func differences(_ memory: [String: Versioned<ConformanceValue>],
                            _ stored: [String: Versioned<ConformanceValue>]) -> [String] {
        Set(memory.keys).union(stored.keys).sorted().compactMap { key in
            let (mine, theirs) = (memory[key], stored[key])
            if mine?.value == theirs?.value && mine?.version == theirs?.version { return nil }
            return "\(key): memory \(mine.map { "\($0.value) v\($0.version)" } ?? "-"), "
                + "database \(theirs.map { "\($0.value) v\($0.version)" } ?? "-")"
        }
    }

    @Test("crash loop under 8 writers: memory converges on the database, no key stuck, replicas agree",
          arguments: Mode.allCases)
    func crashLoop(mode: Mode) async throws {
        let writeMode = mode.writeMode
        try await using(try await ThrowawayCluster.start(durable: true), release: { try await $0.stop() }) { cluster in
            let namespace = randomNamespace()
            let store = try await Self.open(cluster.url, namespace, writeMode, operationTimeout: mode.operationTimeout)
            let replica = try await Self.open(cluster.url, namespace, .writeThrough)
            let ownWatch = WatchedState(try store.watch(Self.kind, options: WatchOptions(bufferSize: 1 << 20)))
            let replicaWatch = WatchedState(try replica.watch(Self.kind, options: WatchOptions(bufferSize: 1 << 20)))
            defer {
                ownWatch.task.cancel()
                replicaWatch.task.cancel()
            }

            let control = Control()
            let traffic = try await withThrowingTaskGroup(of: Traffic.self) { group in
                for writer in 0..<Self.writers {
                    group.addTask { await Self.write(store, writer: writer, control: control) }
                }
                for _ in 0..<Self.crashes {
                    try await Task.sleep(for: .milliseconds(600))
                    try await cluster.crash()
                }
                try await Task.sleep(for: .milliseconds(600))
                control.stop.store(true, ordering: .relaxed)
                var total = Traffic()
                for try await part in group { total.merge(part) }
                return total
            }
            #expect(traffic.writes > 0)
            #expect(traffic.versionConflicts.count == 0, "a key got stuck: \(traffic.versionConflicts.prefix(5))")

            // Memory converges: write-behind once flushed, write-through once no key is in doubt.
            switch writeMode {
            case .writeBehind:
                try await withDeadline(60, "flushing after the crashes") { try await store.flush() }
            case .writeThrough:
                #expect(try await Self.eventually(30) { store.coherenceStatus.keysInDoubt == 0 },
                        "keys still in doubt: \(store.coherenceStatus)")
            }
            let fresh = try await Self.open(cluster.url, namespace, .writeThrough)
            let mismatches = Self.differences(try Self.versioned(store), try Self.versioned(fresh))
            #expect(mismatches.isEmpty, "\(mismatches.count) keys differ, e.g. \(mismatches.prefix(5))")
            try await fresh.close()

            // No key is stuck: a retried write of every key whose write threw succeeds.
            for key in traffic.failedKeys.sorted() {
                try await store.set(Self.kind, key, ConformanceValue(name: "retry", n: -1))
            }
            try await store.flush()

            // A fresh store loads exactly memory's contents; the replica and both watchers agree.
            let reopened = try await Self.open(cluster.url, namespace, .writeThrough)
            let stored = try Self.versioned(reopened)
            try await reopened.close()
            #expect(Self.differences(try Self.versioned(store), stored).isEmpty)
            let expected = stored.mapValues(\.value)
            #expect(try await Self.eventually(30) { try Self.versioned(replica).mapValues(\.value) == expected },
                    "the replica's memory differs from the database")
            #expect(try await Self.eventually(30) { replicaWatch.current == expected },
                    "the replica's watcher ended in another state than the database")
            #expect(try await Self.eventually(30) { ownWatch.current == expected },
                    "the writer's watcher ended in another state than the database")
            print("crash loop (\(mode)): \(traffic.writes) writes, \(traffic.failedKeys.count) keys failed, "
                + "\(traffic.inDoubt) in doubt, \(traffic.otherFailures) other failures; \(store.coherenceStatus)")
            try await store.close()
            try await replica.close()
        }
    }
}
