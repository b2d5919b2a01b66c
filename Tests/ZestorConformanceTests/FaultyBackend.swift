import Foundation
import Synchronization
import Zestor

/// A deliberate durability violation ``FaultyBackend`` can commit.
enum BackendFault: Hashable, Sendable, CaseIterable {
    /// Loads every row at version 1: the persisted versions are lost.
    case dropsVersions
    /// Ignores deletes: a deleted row is still there at the next open.
    case ignoresDeletes
    /// Stores kinds, keys and values in Unicode NFC: canonically equivalent (Swift's `==` agrees),
    /// but not the bytes written.
    case normalizesUnicode
    /// A commit reports success but its rows reach the storage only when the backend closes.
    case visibleOnlyAfterClose
    /// An upsert replaces the stored row whatever its version: a newer row another store wrote
    /// is overwritten instead of reported stale.
    case overwritesNewerRows
    /// Loads every row without its expiry instant: entries never expire after a reopen.
    case dropsExpiry
}

/// Rows kept in memory, shared by every ``FaultyBackend`` opened on it (the storage of one
/// durability case), committing the given ``BackendFault``s. With no faults it must pass the
/// whole durability suite.
final class FaultyStorage: Sendable {
    /// A row's identity by bytes: `String`'s `==` would merge canonically equivalent keys.
    private struct RowID: Hashable {
        let kind: [UInt8]
        let key: [UInt8]
        init(_ kind: String, _ key: String) {
            self.kind = Array(kind.utf8)
            self.key = Array(key.utf8)
        }
    }

    let faults: Set<BackendFault>
    private let rows = Mutex<[RowID: PersistedRow]>([:])

    init(faults: Set<BackendFault>) {
        self.faults = faults
    }

    func load() -> [PersistedRow] {
        var stored = rows.withLock { Array($0.values) }
        if faults.contains(.dropsExpiry) {
            stored = stored.map { PersistedRow(kind: $0.kind, key: $0.key, value: $0.value, version: $0.version) }
        }
        guard faults.contains(.dropsVersions) else { return stored }
        return stored.map { PersistedRow(kind: $0.kind, key: $0.key, value: $0.value, version: 1) }
    }

    /// Applies `mutations` atomically; upserts not newer than the stored row are reported stale.
    func apply(_ mutations: [PersistedMutation]) -> CommitReport {
        rows.withLock { rows in
            var report = CommitReport()
            for (index, mutation) in mutations.enumerated() {
                switch mutation {
                case .upsert(let row):
                    let id = RowID(row.kind, row.key)
                    if let existing = rows[id], existing.version >= row.version, !faults.contains(.overwritesNewerRows) {
                        report.staleUpserts.append(index)
                    } else {
                        rows[id] = row
                    }
                case .delete(let kind, let key):
                    if !faults.contains(.ignoresDeletes) { rows[RowID(kind, key)] = nil }
                case .deleteUnlessNewer(let kind, let key, let version):
                    if !faults.contains(.ignoresDeletes), let existing = rows[RowID(kind, key)], existing.version <= version {
                        rows[RowID(kind, key)] = nil
                    } else {
                        report.unchanged.append(index)
                    }
                case .compareAndSet(let row, let expected):
                    let id = RowID(row.kind, row.key)
                    if rows[id]?.version == expected || faults.contains(.overwritesNewerRows) {
                        rows[id] = row
                    } else {
                        report.staleUpserts.append(index)
                    }
                case .compareAndDelete(let kind, let key, let version):
                    if !faults.contains(.ignoresDeletes), rows[RowID(kind, key)]?.version == version {
                        rows[RowID(kind, key)] = nil
                    } else {
                        report.unchanged.append(index)
                    }
                case .setExpiry(let kind, let key, let version, let expiresAt):
                    if rows[RowID(kind, key)]?.version == version {
                        rows[RowID(kind, key)]?.expiresAt = expiresAt
                    } else {
                        report.unchanged.append(index)
                    }
                }
            }
            return report
        }
    }
}

/// One connection to a ``FaultyStorage``.
final class FaultyBackend: PersistenceBackend {
    private let storage: FaultyStorage
    /// Commits held back until `close()` (``BackendFault/visibleOnlyAfterClose``).
    private let held = Mutex<[PersistedMutation]>([])

    init(_ storage: FaultyStorage) {
        self.storage = storage
    }

    func loadAll() async throws -> [PersistedRow] {
        storage.load()
    }

    func commit(_ mutations: [PersistedMutation]) async throws -> CommitReport {
        var mutations = mutations
        if storage.faults.contains(.normalizesUnicode) { mutations = mutations.map(Self.normalized) }
        if storage.faults.contains(.visibleOnlyAfterClose) {
            held.withLock { $0.append(contentsOf: mutations) }
            return .allApplied
        }
        return storage.apply(mutations)
    }

    func close() async throws {
        let mutations = held.withLock { held in
            defer { held = [] }
            return held
        }
        _ = storage.apply(mutations)
    }

    private static func normalized(_ mutation: PersistedMutation) -> PersistedMutation {
        func nfc(_ text: String) -> String { text.precomposedStringWithCanonicalMapping }
        switch mutation {
        case .upsert(let row):
            let value = Array(nfc(String(decoding: row.value, as: UTF8.self)).utf8)
            return .upsert(PersistedRow(kind: nfc(row.kind), key: nfc(row.key), value: value, version: row.version,
                                        expiresAt: row.expiresAt))
        case .delete(let kind, let key):
            return .delete(kind: nfc(kind), key: nfc(key))
        case .deleteUnlessNewer(let kind, let key, let version):
            return .deleteUnlessNewer(kind: nfc(kind), key: nfc(key), version: version)
        case .setExpiry(let kind, let key, let version, let expiresAt):
            return .setExpiry(kind: nfc(kind), key: nfc(key), version: version, expiresAt: expiresAt)
        case .compareAndSet(let row, let expected):
            guard case .upsert(let normalized) = normalized(.upsert(row)) else { return mutation }
            return .compareAndSet(normalized, expectedVersion: expected)
        case .compareAndDelete(let kind, let key, let version):
            return .compareAndDelete(kind: nfc(kind), key: nfc(key), version: version)
        }
    }
}
