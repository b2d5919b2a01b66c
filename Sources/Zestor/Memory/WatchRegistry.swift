/// The watched kinds of a ``MemoryStore`` and how many live subscriptions each has.
/// Guarded by the store's `watchRegistry` mutex.
struct WatchRegistry<Value: Sendable> {
    struct Registration {
        let hub: WatchHub<Value>
        var subscribers: Int
    }

    var hubs: [String: Registration] = [:]
    var nextSubscriptionID: UInt64 = 0
}
