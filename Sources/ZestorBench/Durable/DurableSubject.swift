import Zestor

/// A `DurableStore` configuration under test: a database and a write mode, named
/// `<database>_through` or `<database>_behind`.
struct DurableSubject: Sendable {
    enum Mode: String, CaseIterable, Sendable {
        case through, behind

        /// Write-behind uses the default `WriteBehindPolicy`.
        var writeMode: WriteMode {
            switch self {
            case .through: .writeThrough
            case .behind: .writeBehind(WriteBehindPolicy())
            }
        }
    }

    let provider: any DurableBackendProvider
    let mode: Mode

    var name: String { "\(provider.name)_\(mode.rawValue)" }

    /// Opens a store over fresh storage and preloads `keys` (value n = index) with one `setMany`
    /// (and a flush in write-behind mode).
    func openPreloaded(_ keys: [String]) async throws -> DurableStore<BenchValue> {
        let backend = try await provider.emptyBackend(name)
        let store = try await DurableStore<BenchValue>.open(backend: backend, mode: mode.writeMode)
        var values: [String: BenchValue] = [:]
        values.reserveCapacity(keys.count)
        for (index, key) in keys.enumerated() { values[key] = BenchValue(name: "v", n: index) }
        try await store.setMany(BenchData.kind, values)
        try await store.flush()
        return store
    }
}
