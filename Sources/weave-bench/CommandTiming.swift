import Foundation

/// Runs the real `weave` binary (the one built beside this benchmark) as a
/// user would, and measures it: wall time from spawn to exit, and the lines it
/// printed (read through a pipe, as a terminal or `| head` would).
enum CommandTiming {
    struct Result {
        var seconds: Double
        var lines: Int
        var status: Int32
    }

    /// The `weave` executable next to `weave-bench`.
    static var weave: String {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return me.deletingLastPathComponent().appendingPathComponent("weave").path
    }

    /// Runs `weave ARGS`, counting output lines; throws when it cannot start.
    static func run(_ args: [String]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: weave)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        let start = ContinuousClock.now
        try p.run()
        var lines = 0
        let handle = out.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            lines += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }
        p.waitUntilExit()
        let d = ContinuousClock.now - start
        let (s, a) = d.components
        return Result(seconds: Double(s) + Double(a) / 1e18, lines: lines, status: p.terminationStatus)
    }
}
