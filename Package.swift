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
        // The history as a timeline: edits, authors, versions. Pure.
        .target(name: "WeaveHistory", dependencies: ["WeaveCore"]),
        // The durable on-disk operation log (docs/OPLOG.md) and plain-text files.
        .target(name: "WeaveStore", dependencies: ["WeaveCore", "WeaveHistory", "CZlib"]),
        // Editing traces (josephg/editing-traces formats): load, replay, verify.
        .target(name: "WeaveTrace", dependencies: ["WeaveCore", "WeaveHistory", "CZlib"]),
        // The editing model: keys -> state -> Grid. Pure, no terminal, no files.
        .target(name: "WeaveEditor", dependencies: ["WeaveCore"]),
        // ncursesw, wide-character API (see Sources/CNcurses/include/CNcurses.h).
        .target(name: "CNcurses", linkerSettings: [.linkedLibrary("ncursesw")]),
        // The terminal: draws Grids, reads keys, event loop, safe file saving.
        .target(name: "WeaveTerminal", dependencies: ["CNcurses", "WeaveEditor"]),
        .executableTarget(
            name: "weave",
            dependencies: [
                "WeaveCore", "WeaveHistory", "WeaveStore", "WeaveTrace", "WeaveEditor", "WeaveTerminal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "WeaveCoreTests", dependencies: ["WeaveCore"]),
        .testTarget(name: "WeaveTraceTests", dependencies: ["WeaveCore", "WeaveTrace"]),
        .testTarget(name: "WeaveStoreTests", dependencies: ["WeaveCore", "WeaveHistory", "WeaveStore"]),
        .testTarget(name: "WeaveEditorTests", dependencies: ["WeaveCore", "WeaveEditor", "WeaveTerminal"],
                    exclude: ["Golden"]),
    ]
)
