// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Baton",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "baton", targets: ["BatonCLI"]),
        .library(name: "Baton", targets: ["Baton"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C libraries at the edge: system library targets.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CJQ", providers: [.apt(["libjq-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // fork + PR_SET_PDEATHSIG + exec for the children of stream exec stages (C: the code
        // between fork and exec must be async-signal-safe).
        .target(name: "CBatonSpawn"),

        // Thin, safe wrappers: one per C library.
        .target(name: "BatonPostgres", dependencies: ["CLibPQ"], swiftSettings: strict),
        .target(name: "BatonHTTP", dependencies: ["CCurl"], swiftSettings: strict),
        .target(name: "BatonJQ", dependencies: ["CJQ"], swiftSettings: strict),
        .target(name: "BatonZlib", dependencies: ["CZlib"], swiftSettings: strict),

        // The engine.
        .target(
            name: "Baton",
            dependencies: [
                "BatonPostgres", "BatonHTTP", "BatonJQ", "BatonZlib", "CBatonSpawn",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),

        // The `baton` executable.
        .executableTarget(
            name: "BatonCLI",
            dependencies: [
                "Baton",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "BatonPostgresTests", dependencies: ["BatonPostgres", "BatonTestSupport"], swiftSettings: strict),
        .testTarget(name: "BatonJQTests", dependencies: ["BatonJQ"], swiftSettings: strict),
        .testTarget(name: "BatonHTTPTests", dependencies: ["BatonHTTP", "BatonTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "BatonTests",
            dependencies: ["Baton", "BatonPostgres", "BatonTestSupport", "BatonCLI"],
            resources: [.copy("Pipelines")],
            swiftSettings: strict
        ),
        .target(name: "BatonTestSupport", dependencies: ["BatonPostgres"], path: "Tests/BatonTestSupport", swiftSettings: strict),
    ]
)
