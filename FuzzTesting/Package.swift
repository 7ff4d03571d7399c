// swift-tools-version:6.0
// libFuzzer targets for Weave's decoders. Build and run with ./run.sh (it builds with
// --sanitize=fuzzer --sanitize=address, as swift-protobuf's FuzzTesting does).
import PackageDescription

let package = Package(
    name: "FuzzTesting",
    dependencies: [
        .package(name: "Weave", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    ],
    targets: [
        .executableTarget(name: "FuzzOpCodec", dependencies: [.product(name: "WeaveCore", package: "Weave")]),
        .executableTarget(name: "FuzzLogLoader", dependencies: [.product(name: "WeaveStore", package: "Weave")]),
        .executableTarget(name: "FuzzFrameDecoder", dependencies: [
            .product(name: "WeavePeer", package: "Weave"), .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .executableTarget(name: "FuzzAuthMessage", dependencies: [.product(name: "WeavePeer", package: "Weave")]),
        .executableTarget(name: "FuzzFolderRecord", dependencies: [
            .product(name: "WeaveCore", package: "Weave"), .product(name: "WeaveWorkspace", package: "Weave"),
        ]),
    ]
)
