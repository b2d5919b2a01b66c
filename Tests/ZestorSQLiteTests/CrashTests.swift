import Foundation
import Testing
import Zestor
import ZestorSQLite

/// Kills a write-through writer with SIGKILL mid-stream, reopens its file, and checks that
/// every write it acknowledged is there with the acknowledged value.
@Suite("Crash safety")
struct CrashTests {
    struct Record: Codable, Sendable, Equatable {
        var writer: Int
        var n: Int
    }

    /// The ZestorCrashWriter executable, built next to the test binary.
    static func writerExecutable() throws -> URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
        ].map { $0.appendingPathComponent("ZestorCrashWriter") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw WriterNotBuilt(searched: candidates.map(\.path))
        }
        return found
    }

    /// Reads `process`'s output until `lines` lines arrived (or a minute passed), kills it with
    /// SIGKILL and returns everything it printed. The reads block, so they run on a thread of
    /// their own: blocking the cooperative pool would stall every other test in the process.
    static func readThenKill(_ process: Process, _ reader: FileHandle, lines: Int) async -> Data {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                var acknowledged = Data()
                let deadline = Date().addingTimeInterval(60)
                while acknowledged.count(where: { $0 == UInt8(ascii: "\n") }) < lines && Date() < deadline {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    acknowledged.append(chunk)
                }
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                acknowledged.append(reader.readDataToEndOfFile())
                continuation.resume(returning: acknowledged)
            }
            thread.name = "zestor.tests.crash-reader"
            thread.start()
        }
    }

    struct WriterNotBuilt: Error, CustomStringConvertible {
        let searched: [String]
        var description: String { "ZestorCrashWriter not found (build with `swift build --build-tests`); looked at \(searched)" }
    }

    @Test("every acknowledged write-through write survives SIGKILL", arguments: 1...4)
    func acknowledgedWritesSurviveKill(round: Int) async throws {
        let path = DurableSQLiteTests.temporaryDatabase()
        defer { DurableSQLiteTests.cleanUp(path) }
        let process = Process()
        process.executableURL = try Self.writerExecutable()
        process.arguments = [path, "8"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()

        // Let it acknowledge a varying number of writes, then kill it without warning.
        let target = 2_000 * round + Int.random(in: 0..<2_000)
        let acknowledged = await Self.readThenKill(process, output.fileHandleForReading, lines: target)
        #expect(process.terminationReason == .uncaughtSignal)

        // Only whole lines count: a line is printed after its write was acknowledged.
        let text = String(decoding: acknowledged, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if !text.hasSuffix("\n") { lines.removeLast() }
        let acks = lines.compactMap { line -> (key: String, n: Int)? in
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "ack", let n = Int(parts[2]) else { return nil }
            return (String(parts[1]), n)
        }
        #expect(acks.count >= target, "the writer acknowledged \(acks.count) writes before the deadline")

        let store = try await DurableStore<Record>.open(backend: try SQLiteBackend(path: path))
        for ack in acks {
            let writer = Int(ack.key.dropFirst().prefix { $0 != "-" })!
            #expect(try store.get("crash", ack.key) == Record(writer: writer, n: ack.n), "acknowledged \(ack.key) lost")
        }
        try await store.close()
    }
}
