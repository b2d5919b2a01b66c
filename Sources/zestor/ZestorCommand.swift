import ArgumentParser
import ZestorBench

/// `zestor`: benchmarks and inspection tools for Zestor stores.
@main
struct ZestorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zestor",
        abstract: "Benchmarks and tools for Zestor key-value stores.",
        subcommands: [BenchCommand.self, GetCommand.self, PutCommand.self, DeleteCommand.self, DumpCommand.self, WatchCommand.self]
    )
}
