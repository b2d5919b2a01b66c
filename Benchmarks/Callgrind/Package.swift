// swift-tools-version: 6.1
// A synchronous driver for counting instructions per operation with valgrind's callgrind
// (Scripts/callgrind.sh). The `zestor` tool cannot be used for that: valgrind 3.19 crashes on
// the dispatch main thread of an async executable. A separate package, so that nobody else
// resolves or builds it.
import PackageDescription

let package = Package(
    name: "ZestorCallgrind",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Zestor", path: "../..")],
    targets: [
        .executableTarget(
            name: "CallgrindDriver",
            dependencies: [.product(name: "Zestor", package: "Zestor")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
