import ArgumentParser

/// The `weave` command line: parses arguments and calls the modules, nothing
/// more. The benchmarks are a separate executable, `weave-bench`.
@main
struct Weave: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weave",
        abstract: "A terminal collaborative text editor with a replayable history.",
        subcommands: [Edit.self, Demo.self, Host.self, Join.self, Serve.self, Invite.self, Invitations.self, Revoke.self, Log.self, Show.self, Blame.self, Diff.self, Import.self, Recover.self, Replay.self],
        defaultSubcommand: Edit.self
    )
}
