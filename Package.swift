// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Weave",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "WeaveCore", targets: ["WeaveCore"]),
        .executable(name: "weave", targets: ["weave"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // The CRDT: pure, no I/O, standard library only.
        .target(name: "WeaveCore"),
        // zlib, for reading the gzipped editing traces.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Editing traces (josephg/editing-traces formats): load, replay, verify.
        .target(name: "WeaveTrace", dependencies: ["WeaveCore", "CZlib"]),
        .executableTarget(
            name: "weave",
            dependencies: [
                "WeaveCore", "WeaveTrace",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "WeaveCoreTests", dependencies: ["WeaveCore"]),
        .testTarget(name: "WeaveTraceTests", dependencies: ["WeaveCore", "WeaveTrace"]),
    ]
)
