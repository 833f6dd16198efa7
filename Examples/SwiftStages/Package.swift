// swift-tools-version: 6.0
import Foundation
import PackageDescription

// Baton as a library, from a package of its own: depends on the repository by path.
// A path dependency's identity is its folder's name, whatever the checkout is called.
let baton = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

let package = Package(
    name: "SwiftStagesExample",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "greetings",
            dependencies: [.product(name: "Baton", package: baton.lastPathComponent)]
        ),
    ]
)
