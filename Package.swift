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
    ],
    targets: [
        .target(name: "Zestor", swiftSettings: strict),
        .target(name: "ZestorConformance", dependencies: ["Zestor"], swiftSettings: strict),
        .testTarget(name: "ZestorTests", dependencies: ["Zestor", "ZestorConformance"], swiftSettings: strict),
    ]
)
