import Foundation

/// Runs blocking work (libsqlite3 calls) on a thread of its own, never on the Swift
/// concurrency pool, and suspends the caller until it is done.
enum DedicatedThread {
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            thread.name = name
            thread.start()
        }
    }
}
