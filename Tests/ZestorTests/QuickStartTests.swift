import Foundation
import Testing
import Zestor

// The README's quick start, compiled and run here so it cannot rot. The block between the
// `quick-start` markers must appear verbatim in README.md (checked below).

// quick-start begin
struct User: Codable, Equatable, Sendable {
    var name: String
    var age: Int
}

struct EmptyName: Error {}

func quickStart() async throws -> [String: User] {
    let store = MemoryStore<User>(options: StoreOptions(validators: [
        "users": { user in if user.name.isEmpty { throw EmptyName() } },
    ]))
    try store.set("users", "ada", User(name: "Ada", age: 36))       // .created
    try store.set("users", "ada", User(name: "Ada", age: 36))       // .unchanged: no event
    let ada = try store.get("users", "ada")                         // no await on a MemoryStore
    assert(ada?.age == 36)

    // Watch the kind: existing entries first (initialReplay), then every change, in order.
    let watch = try store.watch("users", options: WatchOptions(initialReplay: true))
    let printer = Task {
        for try await event in watch {
            print(event.sequence, event.type, event.key, event.value.age)
        }
    }

    try store.update("users", "ada") { $0.age += 1 }                // atomic read-modify-write
    try store.setMany("users", ["alan": User(name: "Alan", age: 41),
                                "grace": User(name: "Grace", age: 85)])
    let seniors = try store.list("users", where: [{ _, user in user.age > 40 }])

    try store.close()                                               // ends the watch
    try await printer.value
    return seniors
}
// quick-start end

@Suite("README")
struct QuickStartTests {
    @Test func quickStartRuns() async throws {
        let seniors = try await quickStart()
        #expect(Set(seniors.keys) == ["alan", "grace"])
    }

    @Test func readmeShowsTheQuickStartVerbatim() throws {
        #expect(try readmeShowsSnippet("quick-start"), "README.md must contain the quick start of QuickStartTests.swift verbatim")
    }
}
