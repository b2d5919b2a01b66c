import Foundation
import Synchronization
import Testing
import Zestor

/// Indexes under concurrency, run under Thread Sanitizer by `Scripts/tsan.sh`: two writer threads
/// (set, update, setMany, delete over shared keys; values claiming overlapping unique keys) and a
/// reader thread querying all the while. Every query result must be internally consistent — each
/// entry's value gives an index key within the bounds, in (index key, key) order, no key twice —
/// and, once the writers stop, the index must hold exactly what brute force over the entries
/// gives, with no unique key held twice.
@Suite("Index stress", .serialized)
struct IndexStressTests {
    struct Item: Equatable, Sendable {
        var n: Int
        var tag: Int  // unique among entries that have one (a partial unique index)
    }

    static let kind = "items"

    @Test(arguments: 1...2)
    func queriesStayConsistentUnderWriters(round: Int) async throws {
        let store = MemoryStore<Item>(shardCount: 8)
        let byN = try store.createIndex(Self.kind, "n") { $0.n }
        let byTag = try store.createIndex(Self.kind, "tag", unique: true) { $0.tag >= 0 ? $0.tag : nil }
        let writers = 2, opsPerWriter = 20_000, keySpace = 512
        let writing = Atomic<Int>(writers)
        let violations = Atomic<Int>(0)
        let checked = Atomic<Int>(0)
        try await withDeadline(180, "index stress round \(round)") {
            await onThreads(writers + 1) { thread in
                var random = XorShift(seed: UInt64(round * 100 + thread + 1))
                if thread == writers {
                    // The reader: queries until the writers are done.
                    while writing.load(ordering: .acquiring) > 0 {
                        let low = Int(random.next() % 50), high = low + Int(random.next() % 20)
                        guard let found = try? store.range(byN, low...high) else { continue }
                        var previous: (Int, String)?
                        for entry in found {
                            let current = (entry.value.n, entry.key)
                            if entry.value.n < low || entry.value.n > high { violations.add(1, ordering: .relaxed) }
                            if let previous, !(previous < current) { violations.add(1, ordering: .relaxed) }
                            previous = current
                        }
                        if let tagged = try? store.range(byTag, IndexBounds.all),
                           Set(tagged.map(\.value.tag)).count != tagged.count {
                            violations.add(1, ordering: .relaxed)
                        }
                        checked.add(1, ordering: .relaxed)
                    }
                    return
                }
                defer { writing.subtract(1, ordering: .releasing) }
                for _ in 0..<opsPerWriter {
                    let key = "k\(random.next() % UInt64(keySpace))"
                    let item = Item(n: Int(random.next() % 64), tag: random.next() % 4 == 0 ? -1 : Int(random.next() % 300))
                    switch random.next() % 8 {
                    case 0: _ = try? store.delete(Self.kind, key)
                    case 1: _ = try? store.update(Self.kind, key) { $0.n = item.n }
                    case 2:
                        let other = "k\(random.next() % UInt64(keySpace))"
                        if other == key { continue }
                        _ = try? store.setMany(Self.kind, [key: item, other: Item(n: item.n, tag: (item.tag + 1) % 300)])
                    default:
                        do { try store.set(Self.kind, key, item) } catch StoreError.uniqueIndexViolation {} catch {
                            violations.add(1, ordering: .relaxed)
                        }
                    }
                }
            }
        }
        #expect(violations.load(ordering: .relaxed) == 0, "inconsistent query results or unexpected errors")
        #expect(checked.load(ordering: .relaxed) > 0)
        // At rest: the indexes equal brute force over the entries.
        let entries = try store.list(Self.kind, where: [])
        let expectedN = entries.sorted { ($0.value.n, $0.key) < ($1.value.n, $1.key) }.map(\.key)
        #expect(try store.range(byN, IndexBounds.all).map(\.key) == expectedN)
        let tagged = entries.filter { $0.value.tag >= 0 }
        #expect(Set(tagged.map(\.value.tag)).count == tagged.count, "a unique tag held twice")
        #expect(try store.range(byTag, IndexBounds.all).map(\.key)
                == tagged.sorted { ($0.value.tag, $0.key) < ($1.value.tag, $1.key) }.map(\.key))
        for (key, item) in tagged.prefix(50) {
            #expect(try store.lookup(byTag, equals: item.tag).map(\.key) == [key])
        }
        // Every free tag can be taken: no stale owner is left behind.
        let free = Set(0..<300).subtracting(tagged.map(\.value.tag))
        for (offset, tag) in free.sorted().prefix(50).enumerated() {
            try store.set(Self.kind, "fresh-\(offset)", Item(n: 0, tag: tag))
        }
    }
}
