// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Weave",
    products: [
        .library(name: "WeaveCore", targets: ["WeaveCore"]),
        .library(name: "WeaveHistory", targets: ["WeaveHistory"]),
        .library(name: "WeaveStore", targets: ["WeaveStore"]),
        .library(name: "WeavePeer", targets: ["WeavePeer"]),
        .library(name: "WeaveSession", targets: ["WeaveSession"]),
        .library(name: "WeaveWorkspace", targets: ["WeaveWorkspace"]),
        .executable(name: "weave", targets: ["weave"]),
        .executable(name: "weave-bench", targets: ["weave-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.25.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),  // LogEvent, log(event:)
        // TLS 1.3 on peer links, each installation's self-signed identity (docs/WIRE.md, "Security").
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
        // Heaps for the causal buffer (WeaveCore's one dependency; NIO already uses the package).
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        // `weave serve --metrics`: the relay's figures as Prometheus text (issue 35).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        // The settings file, settings.toml (issue 33).
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // `weave serve` as a service: its ServiceGroup takes SIGTERM and SIGINT and bounds the drain (issue 35).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
    ],
    targets: [
        // The CRDT: pure, no I/O, the standard library and swift-collections only.
        .target(name: "WeaveCore", dependencies: [.product(name: "HeapModule", package: "swift-collections")]),
        // zlib, for reading the gzipped editing traces.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The history as a timeline: edits, authors, versions. Pure.
        .target(name: "WeaveHistory", dependencies: ["WeaveCore"]),
        // A shared folder's own state (files, renames, deletes) as a small CRDT. Pure.
        .target(name: "WeaveWorkspace", dependencies: ["WeaveCore"]),
        // The durable on-disk operation log (docs/OPLOG.md) and plain-text files.
        .target(name: "WeaveStore", dependencies: ["WeaveCore", "WeaveHistory", "WeaveWorkspace", "CZlib"]),
        // Editing traces (josephg/editing-traces formats): load, replay, verify.
        .target(name: "WeaveTrace", dependencies: ["WeaveCore", "WeaveHistory", "CZlib"]),
        // Syntax colouring: an incremental lexer per line and its cache. Pure.
        .target(name: "WeaveSyntax"),
        // The editing model: keys -> state -> Grid. Pure, no terminal, no files.
        .target(name: "WeaveEditor", dependencies: ["WeaveCore", "WeaveHistory", "WeaveSyntax"]),
        // The settings file: TOML text -> the editor's settings and the problems found. Pure.
        .target(name: "WeaveSettings", dependencies: ["WeaveEditor", .product(name: "TOMLKit", package: "TOMLKit")]),
        // ncursesw, wide-character API (see Sources/CNcurses/include/CNcurses.h).
        .target(name: "CNcurses", linkerSettings: [.linkedLibrary("ncursesw")]),
        // The terminal: draws Grids, reads keys, one poll loop. Nothing else.
        .target(name: "WeaveTerminal", dependencies: ["CNcurses", "WeaveEditor"]),
        // A running session: the editor wired to its file and history, the
        // terminal and peers (EditorSession, PeerLink, the join merge, serve's history).
        .target(name: "WeaveSession", dependencies: [
            "WeaveCore", "WeaveHistory", "WeaveEditor", "WeaveStore", "WeavePeer", "WeaveTerminal", "WeaveWorkspace", "WeaveBridge",
            "WeaveSettings",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Peers: frames, messages, handshake, sync and relay over SwiftNIO (docs/WIRE.md).
        .target(
            name: "WeavePeer",
            dependencies: [
                "WeaveCore", "WeaveHistory", "WeaveStore",  // authors (Author); private files (AtomicFile, FileStamp)
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The user's command line: parses arguments and calls the modules.
        .executableTarget(
            name: "weave",
            dependencies: [
                "WeaveCore", "WeaveHistory", "WeaveStore", "WeaveTrace", "WeaveEditor", "WeaveTerminal", "WeavePeer", "WeaveSession",
                "WeaveDemo", "WeaveWorkspace",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The release benchmarks (and the crash tests' log writer), apart from the user's command.
        .executableTarget(
            name: "weave-bench",
            dependencies: [
                "WeaveCore", "WeaveHistory", "WeaveStore", "WeaveTrace", "WeaveEditor", "WeavePeer", "WeaveWorkspace", "WeaveSession",
                "PeerTestSupport",  // the fault-injecting proxy of `weave-bench storm --lossy`
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The editor protocol's pure part (framing, messages, reconciliation): `weave connect`.
        .target(name: "WeaveBridge", dependencies: ["WeaveCore", "WeaveEditor"]),
        // `weave demo`: replicas side by side in one terminal, scripted.
        .target(name: "WeaveDemo", dependencies: ["WeaveCore", "WeaveHistory", "WeaveEditor", "WeaveTerminal", "WeavePeer", "WeaveSession"]),
        // Examples/WeaveBot: a headless peer that types a file (Weave as a library).
        .executableTarget(name: "weave-bot", dependencies: ["WeaveCore", "WeavePeer"], path: "Examples/WeaveBot"),
        // Shared by the test targets: the seeded generator, temporary folders,
        // the fuzz corpus, the built binaries, the tmux driver.
        .target(name: "WeaveTestSupport", dependencies: ["WeaveCore"], path: "Tests/WeaveTestSupport"),
        // Simulated peers over loopback and child processes, for the peer and end-to-end tests.
        .target(name: "PeerTestSupport", dependencies: [
            "WeaveCore", "WeavePeer", "WeaveTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], path: "Tests/PeerTestSupport"),
        .testTarget(name: "WeaveCoreTests", dependencies: ["WeaveCore", "WeaveTestSupport"]),
        .testTarget(name: "WeaveHistoryTests", dependencies: ["WeaveCore", "WeaveHistory", "WeaveTrace", "WeaveTestSupport"]),
        .testTarget(name: "WeaveWorkspaceTests", dependencies: ["WeaveCore", "WeaveWorkspace", "WeaveTestSupport"]),
        .testTarget(name: "WeaveStoreTests", dependencies: ["WeaveCore", "WeaveHistory", "WeaveStore", "WeaveTestSupport"]),
        .testTarget(name: "WeaveBridgeTests", dependencies: ["WeaveCore", "WeaveEditor", "WeaveBridge", "WeaveTestSupport"]),
        .testTarget(name: "WeaveTraceTests", dependencies: ["WeaveCore", "WeaveTrace", "WeaveTestSupport"]),
        .testTarget(name: "WeaveSyntaxTests", dependencies: ["WeaveSyntax", "WeaveTestSupport"]),
        .testTarget(name: "WeaveSettingsTests", dependencies: ["WeaveSettings", "WeaveEditor"]),
        .testTarget(name: "WeaveEditorTests", dependencies: ["WeaveCore", "WeaveHistory", "WeaveEditor", "WeaveSyntax", "WeaveTestSupport"],
                    exclude: ["Golden"]),
        .testTarget(name: "WeavePeerTests", dependencies: [
            "WeaveCore", "WeaveHistory", "WeavePeer", "WeaveTestSupport", "PeerTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
        ]),
        .testTarget(name: "WeaveTerminalTests", dependencies: ["WeaveTerminal", "WeaveEditor", "CNcurses", "WeaveTestSupport"]),
        .testTarget(name: "WeaveSessionTests", dependencies: [
            "WeaveCore", "WeaveHistory", "WeaveEditor", "WeaveStore", "WeavePeer", "WeaveSession", "WeaveWorkspace", "WeaveTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),  // RelayServiceTests
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Real processes: the weave binary in tmux, child processes, the examples.
        .testTarget(name: "EndToEndTests", dependencies: [
            "WeaveCore", "WeaveHistory", "WeaveStore", "WeavePeer", "WeaveDemo", "WeaveWorkspace", "WeaveTestSupport", "PeerTestSupport",
        ]),
    ]
)
