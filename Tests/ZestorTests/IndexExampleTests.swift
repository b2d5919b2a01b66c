import Testing
import Zestor

// The README's index example, compiled and run here (the block between the markers must appear
// verbatim in README.md).

// index-example begin
struct Member: Codable, Equatable, Sendable {
    var email: String
    var age: Int
    var city: String
}

func indexExample(_ store: MemoryStore<Member>) throws {
    // Built at once from the kind's entries, then kept up to date by every write.
    let byAge = try store.createIndex("members", "age") { $0.age }
    let byCityAge = try store.createIndex("members", "city_age") { IndexKey2($0.city, $0.age) }
    let byEmail = try store.createIndex("members", "email", unique: true) { $0.email }

    try store.set("members", "ada", Member(email: "ada@example.com", age: 36, city: "London"))
    try store.set("members", "alan", Member(email: "alan@example.com", age: 41, city: "London"))
    try store.set("members", "grace", Member(email: "grace@example.com", age: 45, city: "New York"))

    let fortyOne = try store.lookup(byAge, equals: 41)                     // [alan], in key order
    let forties = try store.range(byAge, 40..<50)                          // alan, grace: by (age, key)
    let oldestFirst = try store.range(byAge, 30..., limit: 2, reverse: true)  // grace, alan
    let londoners = try store.range(byCityAge, .prefix("London"))          // ada, alan: by age
    let howMany = try store.count(byAge, ...40)                            // 1, without reading values
    assert(fortyOne.map { $0.key } == ["alan"] && forties.map { $0.key } == ["alan", "grace"])
    assert(oldestFirst.map { $0.key } == ["grace", "alan"] && londoners.map { $0.key } == ["ada", "alan"] && howMany == 1)

    do {
        try store.set("members", "impostor", Member(email: "ada@example.com", age: 20, city: "Paris"))
    } catch StoreError.uniqueIndexViolation(_, _, _, let holder, _) {
        assert(holder == "ada")                                            // nothing was stored
    }
    _ = byEmail
}
// index-example end

@Suite("README index example")
struct IndexExampleTests {
    @Test func indexExampleRuns() throws {
        let store = MemoryStore<Member>()
        try indexExample(store)
        #expect(try store.get("members", "impostor") == nil)
        #expect(try store.indexes("members").map(\.name) == ["age", "city_age", "email"])
    }

    @Test func readmeShowsTheIndexExampleVerbatim() throws {
        #expect(try readmeShowsSnippet("index-example"), "README.md must contain the index example verbatim")
    }
}
