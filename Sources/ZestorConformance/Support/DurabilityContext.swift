import Zestor

/// What a durability case body works with: the case and write mode (for failures), the suite's
/// storage factory, and helpers that open stores and compare what they hold.
struct DurabilityContext: Sendable, Expecting {
    /// Every entry of a store with its version, by kind and key.
    typealias Contents = [String: [String: Versioned<ConformanceValue>]]

    let testCase: DurabilityCase
    let mode: DurabilityMode
    let suite: DurabilitySuite

    func fail(_ expected: String, saw observed: String) -> DurabilityFailure {
        DurabilityFailure(testCase: testCase, mode: mode.rawValue, expected: expected, observed: observed)
    }

    // MARK: Storage and stores

    /// Makes a fresh storage, runs `body` with it and removes it afterwards (also on failure).
    func withStorage<T>(_ body: (DurableStorage) async throws -> T) async throws -> T {
        try await using({ try await suite.makeStorage() }, "making a fresh storage",
                        release: { try await $0.remove() }, "removing the storage", body)
    }

    /// Opens a store on `storage`, runs `body` with it and closes it afterwards. `what` names
    /// the store in failures. A failing close fails the case unless `body` failed first.
    func withStore<T>(
        on storage: DurableStorage, _ writeMode: WriteMode, _ what: String,
        options: StoreOptions<ConformanceValue> = .init(),
        _ body: (DurableStore<ConformanceValue>) async throws -> T
    ) async throws -> T {
        try await using({ try await storage.open(writeMode, options: options) }, "opening \(what)",
                        release: { try await $0.close() }, "closing \(what) (which makes its writes durable)", body)
    }

    /// Acquires a resource, runs `body` with it and releases it afterwards, also when `body`
    /// throws. A failing acquire fails the case; a failing release fails it unless `body` failed
    /// first (whose error wins). `acquiring` and `releasing` name the steps in failures.
    private func using<Resource, T>(
        _ acquire: () async throws -> Resource, _ acquiring: String,
        release: (Resource) async throws -> Void, _ releasing: String,
        _ body: (Resource) async throws -> T
    ) async throws -> T {
        let resource: Resource
        do { resource = try await acquire() } catch {
            throw fail("\(acquiring) to succeed", saw: "\(type(of: error)): \(error)")
        }
        let result: Result<T, any Error>
        do { result = .success(try await body(resource)) } catch { result = .failure(error) }
        do { try await release(resource) } catch {
            if case .success = result {
                throw fail("\(releasing) to succeed", saw: "\(type(of: error)): \(error)")
            }
        }
        return try result.get()
    }

    // MARK: Contents

    /// Every entry of `store` with its version.
    func contents(of store: DurableStore<ConformanceValue>) throws -> Contents {
        var contents: Contents = [:]
        for (kind, entries) in try store.getAll() {
            for key in entries.keys {
                contents[kind, default: [:]][key] = try store.getVersioned(kind, key)
            }
        }
        return contents
    }

    /// Throws unless `actual` holds exactly the entries and versions of `expected`; the failure
    /// counts the differences and names the first few.
    func expectContents(_ actual: Contents, _ expected: Contents, _ what: String) throws {
        var differences: [String] = []
        for kind in Set(actual.keys).union(expected.keys).sorted() {
            let have = actual[kind] ?? [:], want = expected[kind] ?? [:]
            for key in Set(have.keys).union(want.keys).sorted() where have[key] != want[key] {
                differences.append("\(visible(kind))/\(visible(key)): \(render(have[key])) instead of \(render(want[key]))")
            }
        }
        try expect(differences.isEmpty, "\(what) to be the \(expected.values.map(\.count).reduce(0, +)) entries written",
                   saw: "\(differences.count == 1 ? "1 entry differs" : "\(differences.count) entries differ"): "
                       + differences.prefix(3).joined(separator: "; "))
    }

    /// `value (version n)`, or `absent`.
    func render(_ entry: Versioned<ConformanceValue>?) -> String {
        guard let entry else { return "absent" }
        return "\(render(entry.value)) (version \(entry.version))"
    }

    /// `name#n` with the name made visible.
    func render(_ value: ConformanceValue) -> String {
        "\(visible(value.name))#\(value.n)"
    }
}

/// `text` quoted, with everything but printable ASCII spelled as `\u{…}` (so differences in
/// normalization or invisible characters show) and cut after 60 characters.
func visible(_ text: String) -> String {
    var shown = ""
    for (index, scalar) in text.unicodeScalars.enumerated() {
        if index == 60 {
            shown += "… (\(text.utf8.count) UTF-8 bytes)"
            break
        }
        shown += (0x20..<0x7F).contains(scalar.value) ? String(scalar) : "\\u{\(String(scalar.value, radix: 16))}"
    }
    return "\"\(shown)\""
}

/// Whether two strings are the same bytes (`==` on `String` equates canonically equivalent
/// spellings, which a backend must not conflate).
func sameBytes(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.elementsEqual(rhs.utf8)
}
