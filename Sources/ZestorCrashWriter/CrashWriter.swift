import Foundation
import Zestor
import ZestorSQLite

/// A writer for the crash test (`Tests/ZestorSQLiteTests/CrashTests.swift`): opens a SQLite store
/// in write-through mode and, from several concurrent tasks, writes unique keys forever, printing
/// `ack <key> <n>` to standard output after each write is acknowledged. The test kills it with
/// SIGKILL mid-stream and checks that every acknowledged write survived.
///
/// Usage: ZestorCrashWriter <database path> [writers]
@main
struct CrashWriter {
    struct Record: Codable, Sendable {
        var writer: Int
        var n: Int
    }

    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2 else {
            FileHandle.standardError.write(Data("usage: ZestorCrashWriter <database path> [writers]\n".utf8))
            exit(64)
        }
        let writers = arguments.count >= 3 ? Int(arguments[2]) ?? 8 : 8
        let store = try await DurableStore<Record>.open(backend: try SQLiteBackend(path: arguments[1]), mode: .writeThrough)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var n = 0
                    while true {
                        let key = "w\(writer)-\(n)"
                        try await store.set("crash", key, Record(writer: writer, n: n))
                        // One write(2) per line: a line is either wholly out or not at all.
                        FileHandle.standardOutput.write(Data("ack \(key) \(n)\n".utf8))
                        n += 1
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
