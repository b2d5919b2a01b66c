/// `get(_:_:orLoad:)`: reading through a cache with one load per missing key.
extension MemoryStore {
    /// The live value under `kind`/`key`; on a miss, the value `load` returns for `key`, stored
    /// with the kind's time to live (``CacheOptions/timeToLive``) before it is returned.
    ///
    /// However many tasks miss the same key at once, exactly one load runs and every one of them
    /// gets its outcome: its value, `nil` when it found none (nothing is stored), or the error it
    /// threw (nothing is stored; the next call loads again). With a
    /// ``CacheOptions/negativeTimeToLive``, a `nil` is remembered that long: calls in between
    /// return `nil` without loading, until a write of the key. The load runs in a task of its own:
    /// cancelling a waiting caller makes that caller throw `CancellationError` and leaves the
    /// load running for the others. A write to the key while the load runs wins: the loaded value
    /// is returned to the waiters but not stored over it. The kind's validator checks the loaded
    /// value before it is stored; its error goes to every waiter.
    ///
    /// `nonisolated(nonsending)`: it runs on the caller's executor, so a hit costs no executor hop.
    @inlinable @inline(__always)
    nonisolated(nonsending)
    public func get(_ kind: String, _ key: String,
                    orLoad load: @escaping @Sendable (String) async throws -> Value?) async throws -> Value? {
        try checkWritable(kind)
        let entryKey = EntryKey(key: key)
        if let entry = read(kind, entryKey) { return entry.value }
        return try await loadMissing(kind, entryKey, load)
    }

    /// The miss path of `get(_:_:orLoad:)`: joins the key's load in flight or starts one.
    @usableFromInline
    func loadMissing(_ kind: String, _ entryKey: EntryKey,
                     _ load: @escaping @Sendable (String) async throws -> Value?) async throws -> Value? {
        try await loadMissing(kind, entryKey, load, storing: nil)
    }

    /// The miss path of `get(_:_:orLoad:)` for a store that stores loaded values itself
    /// (`DurableStore`): `storing`, when non-nil, stores a loaded value in place of the engine —
    /// given the load, so it can check under its own locks that no write abandoned it
    /// (``loadIsCurrent(_:_:_:)``); what it throws goes to every waiter.
    func loadMissing(_ kind: String, _ entryKey: EntryKey, _ load: @escaping @Sendable (String) async throws -> Value?,
                     storing: LoadedValueStore<Value>?) async throws -> Value? {
        let found = try mutate(kind, entryKey) { table -> LoadLookup<Value> in
            if table.cache == nil { makeCache(&table) }
            if let slot = table.liveSlot(of: entryKey) {
                // Stored by a write or another load between the two locks.
                return .stored(table.entries.entry(atSlot: slot).value)
            }
            if let running = table.cache.unsafelyUnwrapped.loads[entryKey] { return .running(running) }
            if !table.cache.unsafelyUnwrapped.absent.isEmpty,
               table.cache.unsafelyUnwrapped.isKnownAbsent(entryKey, at: clock.monotonicNanoseconds) {
                return .knownAbsent
            }
            let started = InFlightLoad<Value>()
            table.cache!.loads[entryKey] = started
            return .started(started)
        }
        switch found {
        case .stored(let value):
            return value
        case .knownAbsent:
            return nil
        case .running(let flight):
            return try await flight.wait()
        case .started(let flight):
            Task { await runLoad(flight, kind: kind, key: entryKey, load, storing: storing) }
            return try await flight.wait()
        }
    }

    /// Runs `load` for `key` and hands its outcome to the waiters of `flight`, storing a value —
    /// through `storing` when non-nil — unless a write to the key abandoned the load meanwhile
    /// (``KindTable/abandonLoad(of:)``).
    private func runLoad(_ flight: InFlightLoad<Value>, kind: String, key: EntryKey,
                         _ load: @Sendable (String) async throws -> Value?, storing: LoadedValueStore<Value>?) async {
        let started = ContinuousClock.now
        var outcome: Result<Value?, any Error>
        do { outcome = .success(try await load(key.key)) } catch { outcome = .failure(error) }
        let elapsed = (ContinuousClock.now - started).inNanoseconds
        if let storing, case .success(let value?) = outcome {
            do {
                try validate(kind, value)
                try await storing(value, flight)
            } catch {
                outcome = .failure(error)
            }
        }
        do {
            try mutate(kind, key) { table in
                guard let cache = table.cache else { return }
                switch outcome {
                case .success: cache.counters.loads.wrappingAdd(1, ordering: .relaxed)
                case .failure: cache.counters.loadFailures.wrappingAdd(1, ordering: .relaxed)
                }
                cache.counters.loadNanoseconds.wrappingAdd(elapsed, ordering: .relaxed)
                guard cache.loads[key] === flight else { return }
                table.cache!.loads[key] = nil
                if case .success(nil) = outcome { cache.rememberAbsent(key, at: clock.monotonicNanoseconds) }
                guard storing == nil, case .success(let value?) = outcome else { return }
                try validate(kind, value)
                if table.indexes != nil { _ = try table.claimUniqueKeys(for: key, value) }
                let expiry = resolve(.kindDefault, in: &table)
                _ = table.upsert(key, value, changeDetector: changeDetector, expiry: expiry)
            }
            flight.finish(outcome)
        } catch {
            flight.finish(.failure(error))
        }
    }

    /// Whether `flight` is still the load in flight for `kind`/`key`: no write of the key
    /// abandoned it (``KindTable/abandonLoad(of:)``).
    func loadIsCurrent(_ kind: String, _ key: String, _ flight: InFlightLoad<Value>) -> Bool {
        let entryKey = EntryKey(key: key)
        let shard = shard(for: entryKey.hash)
        shard.lockShared()
        defer { shard.unlock() }
        guard let index = shard.index(of: kind), let cache = shard.tables[index].cache else { return false }
        return cache.loads[entryKey] === flight
    }
}

/// Stores a value a load of `get(_:_:orLoad:)` returned, for a store that stores them itself.
typealias LoadedValueStore<Value: Sendable> = @Sendable (Value, InFlightLoad<Value>) async throws -> Void

/// What `get(_:_:orLoad:)` finds under the exclusive lock after a miss.
enum LoadLookup<Value: Sendable> {
    /// A live entry stored since the miss.
    case stored(Value)
    /// A load of the key already in flight, to join.
    case running(InFlightLoad<Value>)
    /// A load registered by this caller, to start.
    case started(InFlightLoad<Value>)
    /// The key's last load found nothing, less than the negative time to live ago.
    case knownAbsent
}
