import Zestor

extension CaseContext {
    /// Options for a caching case: `caches`, a manual clock the case drives, and a sweeper that
    /// never runs on its own during a case (the case sweeps with `removeExpired`).
    func cachingOptions(_ clock: ManualExpiryClock, _ caches: [String: CacheOptions] = [:]) -> StoreOptions<ConformanceValue> {
        // One hour: far longer than any case, so only the case's own calls sweep.
        let sweep = try? SweepOptions(interval: .seconds(3600))
        return StoreOptions(caches: caches, clock: clock, sweep: sweep ?? .default)
    }

    /// ``withStore(_:_:)`` for a store that must be a `CachingStore`.
    func withCachingStore<T>(
        _ options: StoreOptions<ConformanceValue>,
        _ body: (any CachingStore<ConformanceValue>) async throws -> T
    ) async throws -> T {
        try await withStore(options, as: (any CachingStore<ConformanceValue>).self, body)
    }

    /// Reads exactly `count` events from `watch` (bounded by the timeout); fails if the stream
    /// ends first.
    func next(_ count: Int, from watch: Watch<ConformanceValue>, kind: String,
              _ what: String) async throws -> [Event<ConformanceValue>] {
        let seen = Counter()
        let drained = try await drain(watch, kind: kind, what, until: { _ in
            seen.increment()
            return seen.value >= count
        })
        guard case .stopped = drained.end else {
            throw fail("\(what): \(count) events", saw: "the stream \(drained.end) after \(show(drained.events.changes))")
        }
        return drained.events
    }
}
