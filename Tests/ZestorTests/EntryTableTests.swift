import Testing
@testable import Zestor

/// The open-addressing table behind each shard, checked against `Dictionary` as a model.
@Suite("EntryTable")
struct EntryTableTests {
    static func key(_ name: String) -> EntryKey {
        EntryKey(key: name, hash: EntryKey.hash(of: name))
    }

    @Test(arguments: [1, 2, 3])
    func randomOperationsMatchADictionary(seed: UInt64) {
        var random = XorShift(seed: seed)
        var table = EntryTable<Int>()
        var model: [String: Int] = [:]
        for step in 0..<40_000 {
            let name = "key-\(random.next() % 3_000)"
            let key = Self.key(name)
            switch random.next() % 3 {
            case 0:
                #expect(table.remove(key)?.value == model.removeValue(forKey: name))
            default:
                if let slot = table.slot(of: key) {
                    table.replaceEntry(atSlot: slot, with: Entry(value: step, version: table.entry(atSlot: slot).version + 1))
                } else {
                    table.insertNew(key, Entry(value: step, version: 1))
                }
                model[name] = step
            }
            if step % 5_000 == 0 {
                #expect(table.count == model.count)
            }
        }
        #expect(table.count == model.count)
        var seen: [String: Int] = [:]
        for (name, entry) in table { seen[name] = entry.value }
        #expect(seen == model)
        for (name, value) in model {
            #expect(table[Self.key(name)]?.value == value)
        }
        #expect(table[Self.key("never-stored")] == nil)
    }

    @Test func copiesAreIndependent() {
        var table = EntryTable<String>()
        for index in 0..<100 { table.insertNew(Self.key("k\(index)"), Entry(value: "v\(index)", version: 1)) }
        let snapshot = table
        let slot = table.slot(of: Self.key("k1"))!
        table.replaceEntry(atSlot: slot, with: Entry(value: "changed", version: 2))
        _ = table.remove(Self.key("k2"))
        table.insertNew(Self.key("new"), Entry(value: "new", version: 1))
        #expect(snapshot[Self.key("k1")]?.value == "v1")
        #expect(snapshot[Self.key("k2")]?.value == "v2")
        #expect(snapshot[Self.key("new")] == nil)
        #expect(snapshot.count == 100)
        #expect(table[Self.key("k1")]?.value == "changed")
        #expect(table.count == 100)
    }

    @Test func removingEverythingLeavesAnEmptyTableThatStillWorks() {
        var table = EntryTable<Int>()
        for index in 0..<1_000 { table.insertNew(Self.key("k\(index)"), Entry(value: index, version: 1)) }
        for index in stride(from: 999, through: 0, by: -1) { #expect(table.remove(Self.key("k\(index)"))?.value == index) }
        #expect(table.isEmpty)
        #expect(table.remove(Self.key("k1")) == nil)
        table.insertNew(Self.key("again"), Entry(value: 7, version: 1))
        #expect(table[Self.key("again")]?.value == 7)
    }
}
