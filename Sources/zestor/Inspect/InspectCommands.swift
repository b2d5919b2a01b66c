import ArgumentParser
import Foundation
import Zestor

/// `zestor get`: prints the JSON value of one key.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Print the value of a key as JSON.")

    @OptionGroup var location: StoreLocation
    @Option(help: "The kind.") var kind: String
    @Argument(help: "The key.") var key: String

    func run() async throws {
        let store = try await location.open()
        let value = try store.get(kind, key)
        try await store.close()
        guard let value else { throw NotFound(kind: kind, key: key) }
        print(try JSONOutput.string(value))
    }
}

/// `zestor put`: stores a JSON value under a key.
struct PutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Store a JSON value under a key.")

    @OptionGroup var location: StoreLocation
    @Option(help: "The kind.") var kind: String
    @Argument(help: "The key.") var key: String
    @Argument(help: "The value, as JSON (e.g. '{\"name\":\"Ada\"}' or '42').") var json: String

    func run() async throws {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        } catch {
            throw ValidationError("the value is not valid JSON: \(error)")
        }
        let store = try await location.open()
        let result = try await store.set(kind, key, value)
        let version = try store.getVersioned(kind, key)?.version ?? 0
        try await store.close()
        print("\(result) (version \(version))")
    }
}

/// `zestor delete`: removes a key, printing the value it had.
struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a key; print the value it had.")

    @OptionGroup var location: StoreLocation
    @Option(help: "The kind.") var kind: String
    @Argument(help: "The key.") var key: String

    func run() async throws {
        let store = try await location.open()
        let removed = try await store.delete(kind, key)
        try await store.close()
        guard let removed else { throw NotFound(kind: kind, key: key) }
        print(try JSONOutput.string(removed))
    }
}

/// `zestor dump`: every entry as one JSON object per line, sorted by kind and key; with `--text`,
/// zestor's `Dump` format (`Store.dump(to:describe:)`).
struct DumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump", abstract: "Print every entry (or one kind's) as JSON lines: kind, key, version, value.")

    @OptionGroup var location: StoreLocation
    @Option(help: "Only this kind.") var kind: String?
    @Flag(help: "zestor's text format instead: 'kind:' lines, then '  key: value' (values as JSON), every kind.")
    var text = false

    struct Line: Encodable {
        let kind: String
        let key: String
        let version: UInt64
        let value: JSONValue
    }

    func validate() throws {
        if text && kind != nil { throw ValidationError("--text dumps every kind; drop --kind") }
    }

    func run() async throws {
        let store = try await location.open()
        if text {
            var output = StandardOutput()
            try await store.dump(to: &output) { (try? JSONOutput.string($0)) ?? "\($0)" }
            try await store.close()
            return
        }
        let all = try store.getAll()
        for kind in all.keys.sorted() where self.kind == nil || self.kind == kind {
            for key in all[kind]!.keys.sorted() {
                guard let entry = try store.getVersioned(kind, key) else { continue }
                print(try JSONOutput.string(Line(kind: kind, key: key, version: entry.version, value: entry.value)))
            }
        }
        try await store.close()
    }
}

/// Standard output as a `TextOutputStream`.
struct StandardOutput: TextOutputStream {
    mutating func write(_ string: String) { print(string, terminator: "") }
}

/// A key that is not in the store: exit status 1 with a message.
struct NotFound: Error, CustomStringConvertible {
    let kind: String
    let key: String
    var description: String { "not found: \(kind)/\(key)" }
}

/// Compact JSON with sorted keys, for stable output.
enum JSONOutput {
    static func string(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
