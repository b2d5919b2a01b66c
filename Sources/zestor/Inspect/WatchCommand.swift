import ArgumentParser
import Foundation
import Zestor

/// `zestor watch KIND`: tails the changes of a kind, one JSON line per event. Over PostgreSQL it
/// shows the writes of every process sharing the namespace, as they commit.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print the changes of a kind as JSON lines (sequence, type, key, value) until interrupted.")

    @OptionGroup var location: StoreLocation
    @Argument(help: "The kind to watch.") var kind: String
    @Flag(help: "Start with one create event per existing entry.") var replay = false
    @Option(help: "How many events the printer may fall behind before the watch overflows.")
    var bufferSize = 65_536

    struct Line: Encodable {
        let sequence: UInt64
        let type: String
        let key: String
        let value: JSONValue
    }

    func run() async throws {
        let store = try await location.open()
        let watch = try store.watch(kind, options: WatchOptions(initialReplay: replay, bufferSize: bufferSize))
        do {
            for try await event in watch {
                let line = Line(sequence: event.sequence, type: event.type.rawValue, key: event.key, value: event.value)
                FileHandle.standardOutput.write(Data((try JSONOutput.string(line) + "\n").utf8))
            }
        } catch StoreError.watchOverflow {
            FileHandle.standardError.write(Data("watch overflowed: the printer fell more than \(bufferSize) events behind\n".utf8))
            try await store.close()
            throw ExitCode(2)
        }
        try await store.close()
    }
}
