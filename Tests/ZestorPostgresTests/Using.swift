/// Runs `body` with `resource`, then `release`s it whether or not `body` threw. When `body`
/// threw, its error is the one reported and a failing release is ignored.
func using<Resource>(_ resource: Resource, release: (Resource) async throws -> Void,
                     _ body: (Resource) async throws -> Void) async throws {
    do {
        try await body(resource)
    } catch {
        try? await release(resource)
        throw error
    }
    try await release(resource)
}
