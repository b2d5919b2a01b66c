extension Store {
    /// Writes every entry to `target` in the format of zestor's `Dump`: each kind, in order, on a
    /// line `kind:`, followed by one line `  key: value` per key, in key order.
    ///
    /// The entries are read by one ``getAll()`` — for `MemoryStore` and `DurableStore` one point
    /// in time — so what is written is consistent. For debugging and inspection: it holds every
    /// entry in memory while it writes.
    /// - Parameter describe: renders a value on one line; by default `String(describing:)`.
    nonisolated(nonsending) public func dump<Target: TextOutputStream>(
        to target: inout Target, describe: (Value) -> String = { String(describing: $0) }
    ) async throws {
        let all = try await getAll()
        for kind in all.keys.sorted() {
            target.write("\(kind):\n")
            let entries = all[kind]!
            for key in entries.keys.sorted() {
                target.write("  \(key): \(describe(entries[key]!))\n")
            }
        }
    }

    /// ``dump(to:describe:)`` into a `String`.
    nonisolated(nonsending) public func dump(describe: (Value) -> String = { String(describing: $0) }) async throws -> String {
        var text = ""
        try await dump(to: &text, describe: describe)
        return text
    }
}
