import Foundation

/// A fresh temporary directory, removed with everything in it when released.
public final class TempDir: @unchecked Sendable {
    public let path: String
    /// Creates `$TMPDIR/weave-test-PID-RANDOM`. Throws when it cannot.
    public init(_ label: String = "test") throws {
        path = NSTemporaryDirectory() + "weave-\(label)-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    /// `path/name`.
    public func file(_ name: String) -> String { path + "/" + name }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
