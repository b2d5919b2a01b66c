/// How a ``DurableStore``'s memory has been kept equal to its storage: counters a metrics system
/// can publish (``DurableStore/coherenceStatus``).
public struct CoherenceStatus: Sendable, Hashable {
    /// Resynchronizations after a gap in the change feed (its history pruned past its position).
    public var resyncs = 0
    /// Keys whose memory was found to differ from the storage and was repaired (by a
    /// resynchronization or by reconciling keys in doubt or written by another store).
    public var keysRepaired = 0
    /// Write-through commits whose outcome was unknown when their writers were answered.
    public var commitsInDoubt = 0
    /// Keys still in doubt now: their next write, or the background resolver, reconciles them.
    public var keysInDoubt = 0

    public init() {}
}
