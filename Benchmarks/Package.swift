// swift-tools-version: 6.1
// Latency percentiles and allocation counts for Zestor's hot paths (ordo-one/benchmark).
// A separate package so that library users and CI never resolve or build the benchmark
// dependency. Run from this folder: swift package benchmark
import PackageDescription

let package = Package(
    name: "ZestorBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Zestor", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "MemoryStoreBenchmarks",
            dependencies: [
                .product(name: "Zestor", package: "Zestor"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/MemoryStoreBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
