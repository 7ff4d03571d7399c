import ArgumentParser

/// The `weave` command line: wires the modules together, nothing more.
@main
struct Weave: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weave",
        abstract: "A terminal collaborative text editor with a replayable history.",
        subcommands: [Edit.self, Demo.self, Host.self, Join.self, Serve.self, Invite.self, Invitations.self, Revoke.self, Log.self, Show.self, Blame.self, Diff.self, Import.self, Recover.self, Replay.self, Bench.self, BenchStore.self, BenchHistory.self, BenchEditor.self, BenchPeers.self, BenchTLS.self, LogWriter.self],
        defaultSubcommand: Edit.self
    )
}
