import ArgumentParser
import WeaveSession
import WeaveTerminal
#if canImport(Glibc)
import Glibc
#endif

/// The `weave` command line: parses arguments and calls the modules, nothing
/// more. The benchmarks are a separate executable, `weave-bench`.
struct Weave: ParsableCommand {
    static let version = "0.5.0-dev"

    static let configuration = CommandConfiguration(
        commandName: "weave",
        abstract: "A terminal collaborative text editor with a replayable history.",
        version: version,
        subcommands: [Edit.self, Demo.self, Host.self, Join.self, Serve.self, Status.self, Connect.self, Invite.self, Invitations.self, Revoke.self, Log.self, Show.self, Blame.self, Diff.self, Import.self, Recover.self, Replay.self, SettingsCommand.self],
        defaultSubcommand: Edit.self
    )
}

@main
enum WeaveMain {
    /// Async for `weave serve` (an `AsyncParsableCommand`: its relay runs in a
    /// swift-service-lifecycle `ServiceGroup`). Every other command is parsed
    /// and run here before the first suspension, so on the main thread, as
    /// the terminal needs (ArgumentParser's own async `main` would run them
    /// off it).
    static func main() async {
        let names = Weave.configuration.subcommands.map { $0._commandName } + ["help"]
        if let problem = CommandWords.problem(Array(CommandLine.arguments.dropFirst()), commands: names, exists: fileExists) {
            FileHandleStderr.write("Error: \(problem)\n")
            exit(64)
        }
        // A terminal weave cannot drive is refused before any command opens a file.
        if CommandWords.takesTerminal(Array(CommandLine.arguments.dropFirst()), commands: names),
           isatty(0) == 1, isatty(1) == 1, let refusal = Terminal.refusal() {
            FileHandleStderr.write("Error: \(refusal)\n")
            exit(1)
        }
        do {
            var command = try Weave.parseAsRoot()
            if var service = command as? AsyncParsableCommand {
                try await service.run()
            } else {
                try command.run()
            }
        } catch {
            Weave.exit(withError: error)
        }
    }
}

enum FileHandleStderr {
    static func write(_ s: String) {
        _ = Array(s.utf8).withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

/// What `weave WORD …` means when WORD is not a command: a file to edit, unless
/// it looks like a mistyped command (and no such file exists), or an option no
/// command has. Caught before anything opens, so a typo never creates a file.
enum CommandWords {
    static func problem(_ args: [String], commands: [String], exists: (String) -> Bool) -> String? {
        guard let first = args.first else { return nil }
        if first.hasPrefix("-") {
            // --experimental-dump-help: what the man page generator (generate-manual) reads.
            let known = ["-h", "--help", "--version", "--read-only", "--generate-completion-script", "--experimental-dump-help"]
            if known.contains(where: { first == $0 || first.hasPrefix($0 + "=") }) { return nil }
            return "unknown option '\(first)' (weave --help lists the commands; weave edit FILE edits a file)"
        }
        if commands.contains(first) || exists(first) { return nil }
        if let near = commands.filter({ $0 != "help" }).min(by: { distance(first, $0) < distance(first, $1) }),
           distance(first, near) <= max(1, near.count / 4) || (first.count >= 3 && near.hasPrefix(first)) {
            return "'\(first)' is not a weave command; did you mean '\(near)'? (to edit a new file of that name: weave edit \(first))"
        }
        if args.count > 1, !args[1].hasPrefix("-") {
            return "'\(first)' is not a weave command (weave --help lists them; weave edit FILE edits one file)"
        }
        return nil
    }

    /// The commands that take over the terminal (a word that is not a command is a file to edit).
    static let terminalCommands = ["edit", "host", "join", "demo"]

    /// Whether these arguments run a command that takes over the terminal
    /// (not when they ask for help or the version).
    static func takesTerminal(_ args: [String], commands: [String]) -> Bool {
        guard let first = args.first(where: { !$0.hasPrefix("-") }) ?? args.first else { return false }
        if args.contains(where: { ["-h", "--help", "--version", "--generate-completion-script"].contains($0)
                || $0.hasPrefix("--generate-completion-script=") }) { return false }
        if first.hasPrefix("-") { return false }
        return terminalCommands.contains(first) || !commands.contains(first)
    }

    /// Levenshtein distance. O(a·b), for short words.
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        var row = Array(0 ... y.count)
        for i in 1 ... max(1, x.count) where !x.isEmpty {
            var prev = row[0]
            row[0] = i
            for j in 1 ... max(1, y.count) where !y.isEmpty {
                let keep = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (x[i - 1] == y[j - 1] ? 0 : 1))
                prev = keep
            }
        }
        return x.isEmpty ? y.count : row[y.count]
    }
}
