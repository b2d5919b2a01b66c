// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Zestor",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Zestor", targets: ["Zestor"]),
        .library(name: "ZestorConformance", targets: ["ZestorConformance"]),
        .library(name: "ZestorSQLite", targets: ["ZestorSQLite"]),
        .library(name: "ZestorPostgres", targets: ["ZestorPostgres"]),
        // DurableStore as a swift-service-lifecycle `Service`; the core products do not use it.
        .library(name: "ZestorServiceLifecycle", targets: ["ZestorServiceLifecycle"]),
        .executable(name: "zestor", targets: ["zestor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Used by the command-line tool only.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Used by ZestorServiceLifecycle only.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(name: "Zestor", dependencies: [.product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "ZestorSQLite",
            dependencies: ["Zestor", "CSQLite", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(
            name: "ZestorPostgres",
            dependencies: ["Zestor", "CLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(name: "ZestorConformance", dependencies: ["Zestor"], swiftSettings: strict),
        .target(
            name: "ZestorServiceLifecycle",
            dependencies: [
                "Zestor",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The benchmark harness behind `zestor bench`: subjects, workloads, runners and reports.
        .target(
            name: "ZestorBench",
            dependencies: [
                "Zestor", "ZestorSQLite", "ZestorPostgres", "CSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "zestor",
            dependencies: [
                "Zestor", "ZestorSQLite", "ZestorPostgres", "ZestorBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Writes and acknowledges until killed; driven by the crash test in ZestorSQLiteTests.
        .executableTarget(
            name: "ZestorCrashWriter",
            dependencies: ["Zestor", "ZestorSQLite"],
            swiftSettings: strict
        ),
        .testTarget(name: "ZestorTests", dependencies: ["Zestor", "ZestorConformance"], swiftSettings: strict),
        .testTarget(name: "ZestorConformanceTests", dependencies: ["Zestor", "ZestorConformance"], swiftSettings: strict),
        .testTarget(
            name: "ZestorSQLiteTests",
            dependencies: ["Zestor", "ZestorSQLite", "ZestorConformance"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ZestorServiceLifecycleTests",
            dependencies: [
                "Zestor", "ZestorSQLite", "ZestorServiceLifecycle",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ZestorPostgresTests",
            dependencies: ["Zestor", "ZestorPostgres", "ZestorConformance"],
            swiftSettings: strict
        ),
    ]
)
