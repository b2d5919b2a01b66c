/// Told of every entry the cache removes by itself — expired or evicted — with the version the
/// entry had: how a ``DurableStore`` persists those removals (as deletes conditional on that
/// version, so that a newer write of the key survives them).
///
/// Called while the shard owning the entry is locked exclusively, right after the removal and
/// before its `.delete` event is published, so nothing else can change the key in between. It
/// must not block nor call back into the store. Removals by a write (`delete`, a change from
/// another process) are not reported: their writer persists them.
@usableFromInline
typealias CacheRemovalSink = @Sendable (_ kind: String, _ key: String, _ version: UInt64) -> Void
