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
            if step % 500 == 0 { table._checkInvariants() }
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

    /// Keys crowded onto a few home slots (hashes chosen, not computed) make long, overlapping
    /// probe runs, which removal must shift back without cutting any run short: every hit, every
    /// miss and every removal must still agree with a `Dictionary`, through growth.
    @Test(arguments: [1, 2, 3])
    func crowdedProbeRunsMatchADictionary(seed: UInt64) {
        var random = XorShift(seed: seed)
        var table = EntryTable<Int>()
        var model: [String: Int] = [:]
        func key(_ number: UInt64) -> EntryKey {
            // 40 distinct hashes: at most 40 home slots whatever the capacity.
            EntryKey(key: "k\(number)", hash: Int(number % 40) &* 0x9E37_79B9 &+ 1)
        }
        for step in 0..<20_000 {
            let number = random.next() % 600
            let entryKey = key(number)
            switch random.next() % 4 {
            case 0, 1:
                if let slot = table.slot(of: entryKey) {
                    table.replaceEntry(atSlot: slot, with: Entry(value: step, version: 2))
                } else {
                    table.insertNew(entryKey, Entry(value: step, version: 1))
                }
                model[entryKey.key] = step
            case 2:
                #expect(table.remove(entryKey)?.value == model.removeValue(forKey: entryKey.key))
            default:
                #expect(table[entryKey]?.value == model[entryKey.key])
            }
            if step % 200 == 0 { table._checkInvariants() }
        }
        table._checkInvariants()
        #expect(table.count == model.count)
        for number in 0..<700 as Range<UInt64> {
            #expect(table[key(number)]?.value == model["k\(number)"])
        }
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
        table._checkInvariants()
        #expect(table.remove(Self.key("k1")) == nil)
        table.insertNew(Self.key("again"), Entry(value: 7, version: 1))
        #expect(table[Self.key("again")]?.value == 7)
    }

    /// The invariant check is real: a table whose count disagrees with its slots traps.
    @Test func invariantCheckCatchesAWrongCount() async {
        await #expect(processExitsWith: .failure) {
            var table = EntryTable<Int>()
            for index in 0..<10 { table.insertNew(EntryTableTests.key("k\(index)"), Entry(value: index, version: 1)) }
            table.storage!.header.count += 1
            table._checkInvariants()
        }
    }
}
