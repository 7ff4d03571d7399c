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

#if canImport(Glibc)
import Glibc
#endif

extension CommandTiming {
    struct Measured {
        var seconds: Double
        /// The child's peak resident memory (getrusage's ru_maxrss).
        var peakBytes: Int
        var status: Int32
    }

    /// Runs `weave ARGS` with its output discarded and measures its wall time
    /// and peak resident memory (wait4's rusage of that one child).
    static func measure(_ args: [String]) throws -> Measured { try measure(executable: weave, args: args) }

    /// `measure` of another executable (this benchmark itself, for a step in a child).
    static func measure(executable weave: String, args: [String]) throws -> Measured {
        let argv = ([weave] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let start = ContinuousClock.now
        let rc = posix_spawn(&pid, weave, &actions, nil, argv, environ)
        guard rc == 0 else { throw BenchFailure("cannot start \(weave): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let (s, a) = (ContinuousClock.now - start).components
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Measured(seconds: Double(s) + Double(a) / 1e18, peakBytes: usage.ru_maxrss * 1024, status: exit)
    }
}
