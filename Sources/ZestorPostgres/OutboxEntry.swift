public import Zestor

/// One row of `zestor_outbox`: a change committed to `zestor_kv` by some backend (this one or
/// another process) in the backend's namespace.
///
/// Rows are appended in the transaction that changed `zestor_kv` — one per mutation that changed
/// a row (an upsert whose version was newer, a delete that removed a row; ignored mutations leave
/// none) — and a trigger sends `NOTIFY zestor_events, '<ns_id>:<largest id>'` once per inserting
/// statement and namespace. Within a namespace,
/// ids grow in commit order: writers hold a per-namespace advisory lock for their transaction, so
/// a reader that has seen id N will never see a smaller id appear later.
public struct OutboxEntry: Sendable, Hashable {
    /// What the row records (`etype`).
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        case upsert
        case delete

        /// Reads a stored `etype`. Rows written by other zestor versions may use other words:
        /// `"delete"`/`"del"` are deletes, any other type with a value is an upsert
        /// (`"create"`, `"update"`, `"set"`, …), and an unknown type without a value a delete —
        /// so a reader never stalls on a row it cannot classify.
        init(storedType: String, value: [UInt8]?) {
            switch storedType.lowercased() {
            case "upsert": self = .upsert
            case "delete", "del": self = .delete
            default: self = value == nil ? .delete : .upsert
            }
        }
    }

    /// `zestor_outbox.id`: increases along the namespace's commits.
    public var id: Int64
    public var kind: String
    public var key: String
    public var etype: Operation
    /// The encoded value written; `nil` for deletes.
    public var value: [UInt8]?
    /// The version written, or for a delete the version the removed row had.
    public var version: UInt64
    /// ``PostgresBackend/origin`` of the backend that wrote it.
    public var origin: String
    /// The expiry instant the upsert wrote (``PersistedRow/expiresAt``); `nil`: never. An upsert
    /// of the version the row already had records a change of its expiry alone.
    public var expiresAt: Int64?

    public init(id: Int64, kind: String, key: String, etype: Operation, value: [UInt8]?, version: UInt64, origin: String,
                expiresAt: Int64? = nil) {
        self.id = id
        self.kind = kind
        self.key = key
        self.etype = etype
        self.value = value
        self.version = version
        self.origin = origin
        self.expiresAt = expiresAt
    }

    /// The change as a `PersistedMutation` (an upsert with a `nil` value carries `[]`). A delete
    /// that recorded the removed row's version removes that version and older ones only (a
    /// store holding a newer version of the key keeps it); one without (version 0: written by
    /// another zestor) removes the key whatever its version.
    public var mutation: PersistedMutation {
        switch etype {
        case .upsert: .upsert(PersistedRow(kind: kind, key: key, value: value ?? [], version: version, expiresAt: expiresAt))
        case .delete where version > 0: .deleteUnlessNewer(kind: kind, key: key, version: version)
        case .delete: .delete(kind: kind, key: key)
        }
    }
}
