import Foundation
import Zestor

/// A `PersistenceBackend` kept in memory, with failure injection, for testing `DurableStore`.
final class InMemoryBackend: PersistenceBackend, @unchecked Sendable {
    // @unchecked: every mutable field is accessed only while `lock` is held.
    struct InjectedFailure: Error, CustomStringConvertible, Equatable {
        var description: String { "injected commit failure" }
    }

    private let lock = NSLock()
    private var rows: [String: PersistedRow] = [:]
    private var failing = false
    private var inDoubt: (applying: Bool, remaining: Int) = (false, 0)
    private var failingLoads = false
    private var commitCount = 0
    private var closed = false

    init(rows: [PersistedRow] = []) {
        for row in rows { self.rows[Self.id(row.kind, row.key)] = row }
    }

    private static func id(_ kind: String, _ key: String) -> String { kind + "\u{0}" + key }

    /// While true, every commit throws ``InjectedFailure`` and changes nothing.
    var failsCommits: Bool {
        get { lock.withLock { failing } }
        set { lock.withLock { failing = newValue } }
    }

    /// The next `count` commits throw `CommitOutcomeUnknown` — after applying their batch when
    /// `applying`, without when not — as a commit cut off by a lost connection would.
    func cutOffNextCommits(_ count: Int, applying: Bool) {
        lock.withLock { inDoubt = (applying, count) }
    }

    /// While true, every read throws ``InjectedFailure`` (the storage is unreachable).
    var failsLoads: Bool {
        get { lock.withLock { failingLoads } }
        set { lock.withLock { failingLoads = newValue } }
    }

    /// Successful commits so far.
    var commits: Int { lock.withLock { commitCount } }

    /// The stored rows, sorted by kind and key.
    var stored: [PersistedRow] {
        lock.withLock { rows.values.sorted { ($0.kind, $0.key) < ($1.kind, $1.key) } }
    }

    func loadAll() async throws -> [PersistedRow] {
        if failsLoads { throw InjectedFailure() }
        return stored
    }

    func load(_ keys: [PersistedKey]) async throws -> PersistedRows {
        try lock.withLock {
            if failingLoads { throw InjectedFailure() }
            return PersistedRows(rows: keys.compactMap { rows[Self.id($0.kind, $0.key)] })
        }
    }

    /// Writes a row directly, as another process sharing the storage would.
    func writeBehindTheStoresBack(_ row: PersistedRow) {
        lock.withLock { rows[Self.id(row.kind, row.key)] = row }
    }

    func commit(_ mutations: [PersistedMutation]) async throws -> CommitReport {
        try await Task.sleep(for: .microseconds(200))  // a commit takes time, so writers can group
        return try lock.withLock {
            if failing { throw InjectedFailure() }
            var next = rows
            var report = CommitReport()
            for (index, mutation) in mutations.enumerated() {
                switch mutation {
                case .upsert(let row):
                    let id = Self.id(row.kind, row.key)
                    if let existing = next[id], existing.version >= row.version {
                        report.staleUpserts.append(index)
                        continue
                    }
                    next[id] = row
                case .delete(let kind, let key):
                    if next.removeValue(forKey: Self.id(kind, key)) == nil { report.unchanged.append(index) }
                case .deleteUnlessNewer(let kind, let key, let version):
                    if let existing = next[Self.id(kind, key)], existing.version <= version {
                        next[Self.id(kind, key)] = nil
                    } else {
                        report.unchanged.append(index)
                    }
                case .compareAndSet(let row, let expected):
                    let id = Self.id(row.kind, row.key)
                    guard next[id]?.version == expected else {
                        report.staleUpserts.append(index)
                        continue
                    }
                    next[id] = row
                case .compareAndDelete(let kind, let key, let version):
                    if next[Self.id(kind, key)]?.version == version {
                        next[Self.id(kind, key)] = nil
                    } else {
                        report.unchanged.append(index)
                    }
                case .setExpiry(let kind, let key, let version, let expiresAt):
                    if next[Self.id(kind, key)]?.version == version {
                        next[Self.id(kind, key)]?.expiresAt = expiresAt
                    } else {
                        report.unchanged.append(index)
                    }
                }
            }
            if inDoubt.remaining > 0 {
                inDoubt.remaining -= 1
                if inDoubt.applying { rows = next }
                throw CommitOutcomeUnknown(cause: InjectedFailure())
            }
            rows = next
            commitCount += 1
            return report
        }
    }

    func close() async throws {
        lock.withLock { closed = true }
    }
}
