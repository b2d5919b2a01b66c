extension MemoryStore {
    /// Subscribes to the changes of `kind`. See ``Watch`` for the delivery guarantees.
    ///
    /// The subscription (and, with ``WatchOptions/initialReplay``, the snapshot) is taken while
    /// every shard is locked, so no write can fall between the replay and the live events.
    /// Throws ``StoreError/outOfRange(parameter:value:requirement:)`` when `bufferSize` is below 1.
    public func watch(_ kind: String, options: WatchOptions) throws -> Watch<Value> {
        try checkWritable(kind)
        try RangeCheck.atLeast(1, options.bufferSize, "WatchOptions.bufferSize")
        let taken = try watchRegistry.withLock { registry throws(StoreError) -> TakenSubscription in
            lockAll(exclusive: true)
            defer { unlockAll() }
            if isClosed { throw StoreError.closed }
            let hub: WatchHub<Value>
            if var registration = registry.hubs[kind] {
                hub = registration.hub
                registration.subscribers += 1
                registry.hubs[kind] = registration
            } else {
                hub = WatchHub(kind: kind, capacity: options.bufferSize)
                registry.hubs[kind] = .init(hub: hub, subscribers: 1)
                for shard in shards { shard.tables[shard.indexCreatingTable(for: kind)].hub = hub }
            }
            hub.ensureCapacity(options.bufferSize)
            registry.nextSubscriptionID &+= 1
            let snapshot = options.initialReplay
                ? shards.compactMap { shard in shard.index(of: kind).map { TableSnapshot(kind: kind, table: shard.tables[$0]) } } : []
            return TakenSubscription(id: registry.nextSubscriptionID, hub: hub, ring: hub.ring,
                                     start: hub.head, snapshot: snapshot)
        }
        let replay = replayEvents(kind: kind, from: taken.snapshot, types: options.eventTypes)
        let subscription = RingSubscription(
            id: taken.id, hub: taken.hub, options: options, startSequence: taken.start, startRing: taken.ring,
            replay: replay.events, replayCount: replay.total,
            unregister: { [self] in unsubscribe(kind) })
        return Watch(subscription)
    }

    /// The number of live watch subscriptions on `kind` (0 once every watch of it ended).
    public func watcherCount(_ kind: String) -> Int {
        watchRegistry.withLock { $0.hubs[kind]?.subscribers ?? 0 }
    }

    /// Drops one subscription of `kind`; the last one detaches the hub from every shard, so
    /// writers of an unwatched kind publish nothing.
    func unsubscribe(_ kind: String) {
        watchRegistry.withLock { registry in
            guard var registration = registry.hubs[kind] else { return }
            registration.subscribers -= 1
            if registration.subscribers > 0 {
                registry.hubs[kind] = registration
                return
            }
            registry.hubs[kind] = nil
            lockAll(exclusive: true)
            defer { unlockAll() }
            for shard in shards {
                guard let index = shard.index(of: kind) else { continue }
                shard.tables[index].hub = nil
                if shard.tableIsUnused(at: index) { shard.removeTable(at: index) }
            }
        }
    }

    /// One `.create` per snapshot entry, in key order, numbered 1...; `total` counts them
    /// before the type filter so live sequence numbers continue after the replay.
    private func replayEvents(kind: String, from snapshot: [TableSnapshot<Value>],
                              types: Set<EventType>?) -> (events: [Event<Value>], total: Int) {
        let total = snapshot.reduce(0) { $0 + $1.count }
        guard total > 0, types?.contains(.create) ?? true else { return ([], total) }
        var entries: [(key: String, value: Value)] = []
        entries.reserveCapacity(total)
        for table in snapshot {
            table.forEachEntry { key, entry in entries.append((key, entry.value)) }
        }
        entries.sort { $0.key < $1.key }
        var events: [Event<Value>] = []
        events.reserveCapacity(total)
        for (offset, entry) in entries.enumerated() {
            events.append(Event(kind: kind, key: entry.key, type: .create, value: entry.value, sequence: UInt64(offset + 1),
                                cause: .replay))
        }
        return (events, total)
    }
}

/// What `watch` takes under the locks; the subscription itself is built after releasing them.
struct TakenSubscription<Value: Sendable>: Sendable {
    let id: UInt64
    let hub: WatchHub<Value>
    let ring: BroadcastRing<Value>
    let start: UInt64
    let snapshot: [TableSnapshot<Value>]
}
