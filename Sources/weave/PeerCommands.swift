#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import WeavePeer
import WeaveSession

/// Runs a wired session (after printing its banner); errors become the command's.
private func runSession(_ live: LiveSession) throws {
    for line in live.banner { print(line) }
    fflush(nil)
    do { try live.run() } catch let failure as StartFailure { throw ValidationFailure(failure.description) }
}

/// Starts a session, turning its failure into the command's.
private func starting<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let failure as StartFailure { throw ValidationFailure(failure.description) }
}

/// `weave host FILE`: edit FILE (with its history, like `weave edit`) and let
/// peers join.
struct Host: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Edit FILE and let others join (prints the command that joins).",
        discussion: """
        Every link runs over TLS 1.3, and only holders of an invitation get in: the join \
        command printed carries FILE's standing invitation (this host's certificate \
        fingerprint and a 160-bit secret), the same each run until revoked. weave invite \
        makes more, weave invitations lists them, weave revoke revokes them (a running host \
        closes their links within a second). --approve also asks you on screen (y/n) before \
        each newcomer's key gets in. Binds 127.0.0.1 unless --bind says otherwise. In the \
        editor: F6 goes offline and back, F4 or Ctrl-P shows the peers (round trip, last heard, \
        operations sent/received/queued). --log FILE appends a structured log of connections, \
        handshakes, errors and catch-up sizes.
        """)

    @Argument(help: "The file to edit and share (created if missing), or a folder: every text file under it is shared.")
    var file: String

    @Option(help: "(A folder) the file to show first, as a path inside the folder.")
    var open: String?

    @Flag(help: "(A folder) list the files left out, each with the reason.")
    var verbose = false

    @Option(parsing: .unconditional, help: "TCP port to listen on (0: any free port).")
    var port: Int = 7070

    @Option(help: "Address to bind (127.0.0.1 keeps it on this machine; 0.0.0.0 for every interface).")
    var bind: String = "127.0.0.1"

    @Option(help: "Your name, shown to peers.")
    var name: String = EditorSession.defaultAuthor

    @Option(help: "Append a structured log to this file.")
    var log: String?

    @Flag(help: "Start offline (F6 goes online).")
    var offline = false

    @Flag(help: "Print the read-only invitation: its joiners watch and time-travel but cannot edit.")
    var readOnly = false

    @Flag(help: "Ask on screen (y/n) before letting in each newcomer's key, even with a valid invitation.")
    var approve = false

    @Option(help: "Print a new invitation that expires after this long (90s, 30m, 2h, 7d) instead of the standing one.")
    var expires: String?

    mutating func validate() throws {
        try NumericOption.check("--port", port, 0 ... 65535)
        if let expires, DurationText.parse(expires) == nil { throw ValidationError("--expires: expected a duration such as 90s, 30m, 2h or 7d (got \(expires))") }
    }

    func run() throws {
        // A busy port is said before anything is created (no new .FILE.weave left behind).
        if let busy = NumericOption.portInUse(bind: bind, port: port) { throw ValidationFailure(busy) }
        var options = HostOptions(name: name)
        (options.port, options.bind, options.log, options.offline) = (port, bind, log, offline)
        (options.readOnly, options.approve, options.expires) = (readOnly, approve, expires.flatMap(DurationText.parse))
        (options.open, options.verbose) = (open, verbose)
        let live = try starting { try SessionStart.host(file, options) }
        try runSession(live)
        // Printed again where the terminal keeps it (the editor's screen is gone):
        // it works again whenever weave host runs on this file (until it expires or is revoked).
        if let command = live.joinCommand { print("join with: \(command)") }
    }
}

/// `weave join HOST:PORT [FILE]`: receive the shared document with its
/// history, then edit it live.
struct Join: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join a shared document: weave join HOST:PORT --invite TOKEN [FILE].",
        discussion: """
        Without FILE the document is edited in memory. With FILE you also keep your own \
        saved copy and its history (.FILE.weave); a FILE with other content is not overwritten \
        without asking. The link reconnects by itself; F6 goes offline and back, F4 or Ctrl-P \
        shows the peers.
        """)

    @Argument(help: "The host to join, HOST:PORT (as printed by weave host or weave serve).")
    var address: String

    @Argument(help: "Keep a copy of the shared document and its history in this file; for a shared folder, the folder to mirror it into (ending in /, as the host's join command prints it).")
    var file: String?

    @Option(help: "(A folder) the file to show first, as a path inside the folder (default: the host's current file).")
    var open: String?

    @Option(help: "Your name, shown to peers.")
    var name: String = EditorSession.defaultAuthor

    @Option(help: "Append a structured log to this file.")
    var log: String?

    @Flag(help: "Start offline (F6 goes online): edit FILE's copy and merge later.")
    var offline = false

    @Option(parsing: .unconditional, help: "Seconds to wait for the document before giving up (more than 0, at most \(Int(NumericOption.maxTimeout))).")
    var timeout: Double = 10

    @Option(help: "The invitation in the host's join command (wv1-…): TLS 1.3 with the host's fingerprint pinned.")
    var invite: String?

    mutating func validate() throws {
        try NumericOption.checkSeconds("--timeout", timeout, above: 0, atMost: NumericOption.maxTimeout)
        guard invite != nil else {
            throw ValidationError("weave join needs the invitation from the host's join command (--invite wv1-…); "
                + "the host prints it, and weave invite FILE prints it again on the host's machine")
        }
    }

    func run() throws {
        // validate() made sure --invite is given.
        let peer = try PeerTarget(address: address, invite: invite ?? "")
        var options = JoinOptions(host: peer.host, port: peer.port, invitation: peer.invitation, name: name)
        (options.log, options.offline, options.timeout, options.open) = (log, offline, timeout, open)
        let target = file
        let live = try starting {
            try SessionStart.join(into: target, options, progress: { print($0); fflush(nil) },
                                  confirm: { Join.confirmOverwrite(file: target ?? "", fileCount: $0, sharedCount: $1) })
        }
        try runSession(live)
        if let note = live.exitNote { print(note) }
    }

    /// HOST:PORT, [IPv6]:PORT.
    static func parse(_ s: String) -> (String, Int)? {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (1 ... 65535).contains(port)
        else { return nil }
        var host = String(s[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    /// Asks on the terminal before FILE's other text is replaced; no terminal or no "y" is a no.
    static func confirmOverwrite(file: String, fileCount: Int, sharedCount: Int) -> Bool {
        guard isatty(0) != 0 else { return false }
        print("\(file) (\(fileCount) characters) differs from the shared document (\(sharedCount) characters).")
        print("Replace it with the shared document (its history is kept aside)? [y/N] ", terminator: "")
        fflush(nil)
        guard let answer = readLine() else {
            print("")  // end of input (Ctrl-D): what follows starts on a line of its own
            return false
        }
        return answer.lowercased().hasPrefix("y")
    }
}
