import Foundation
import Testing
import Zestor

// The README's caching example, compiled and run here. The block between the `caching-example`
// markers must appear verbatim in README.md (checked below).

// caching-example begin
struct Profile: Codable, Equatable, Sendable {
    var name: String
}

/// Your database or HTTP call.
func fetchProfile(_ id: String) async throws -> Profile? {
    Profile(name: "user \(id)")
}

func cachingExample() async throws -> CacheStats {
    let store = MemoryStore<Profile>(options: StoreOptions(caches: [
        // Profiles live 5 minutes; at most 10,000 are kept (S3-FIFO picks what to evict).
        "profiles": try CacheOptions(timeToLive: .seconds(300), capacity: 10_000),
    ]))
    let watch = try store.watch("profiles", options: WatchOptions())

    // A miss runs one load, however many requests ask for the same id at once.
    let profile = try await store.get("profiles", "42", orLoad: fetchProfile)
    assert(profile?.name == "user 42")
    _ = try await store.get("profiles", "42", orLoad: fetchProfile)      // a hit: no load

    // Any write may give its entry a time to live; update keeps it.
    try store.set("sessions", "token-1", Profile(name: "ada"), expiration: .after(.seconds(30)))
    try store.update("sessions", "token-1") { $0.name = "Ada" }
    let left = try store.expiration("sessions", "token-1")             // .after(30 s)
    assert(left != .never)

    try store.delete("profiles", "42")
    for try await event in watch where event.type == .delete {
        assert(event.cause == .write)       // .expired and .evicted are the cache's own removals
        break
    }
    let stats = try store.stats("profiles")  // 1 hit, 1 miss, 1 load
    try store.close()
    return stats
}
// caching-example end

@Suite("README caching example")
struct CachingExampleTests {
    @Test func cachingExampleRuns() async throws {
        let stats = try await cachingExample()
        #expect(stats.hits == 1 && stats.misses == 1 && stats.loads == 1 && stats.loadFailures == 0)
        #expect(stats.hitRatio == 0.5)
        #expect(CacheStats().hitRatio == 0, "the hit ratio before any read")
    }

    @Test func readmeShowsTheCachingExampleVerbatim() throws {
        #expect(try readmeShowsSnippet("caching-example"), "README.md must contain the caching example of CachingExampleTests.swift verbatim")
    }
}
