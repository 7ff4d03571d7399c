import ArgumentParser

/// `weave-bench`: Weave's release benchmarks, apart from the user's `weave`
/// command. Each subcommand states what it measures and on how much data,
/// prints a table (or `--json`), and exits non-zero when its result is wrong
/// or a target it checks is missed. Run them in release:
/// `swift run -c release weave-bench core --trace FILE`.
@main
struct WeaveBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weave-bench",
        abstract: "Weave's benchmarks (run them in a release build).",
        subcommands: [Core.self, Profile.self, BenchImport.self, GenerateTrace.self, TraceStats.self, BenchMemory.self, BenchStore.self, BenchHistory.self, BenchEditor.self, BenchOpenBig.self, BenchOpenHistory.self, BenchPeers.self, BenchStorm.self, BenchTLS.self, BenchWorkspace.self, BenchConnect.self, LogWriter.self]
    )
}

/// A failed run: a wrong result, a missed target, or bad input. Printed as
/// "Error: …", exit status 1.
struct BenchFailure: Error, CustomStringConvertible {
    var message: String
    init(message: String) { self.message = message }
    init(_ message: String) { self.message = message }
    var description: String { message }
}
