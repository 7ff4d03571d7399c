#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Logging
import WeaveCore
import WeaveEditor
import WeavePeer
import WeaveSession
import WeaveTerminal

/// Options shared by `weave host` and `weave join`.
private func hubConfiguration(name: String, colour: UInt8, log: String?) throws -> PeerHub.Configuration {
    var config = PeerHub.Configuration(name: name, colour: colour)
    if let log {
        do {
            config.logger = KeyValueLogHandler.logger(label: "weave.peer", file: try KeyValueLogHandler.File(path: log))
        } catch {
            throw ValidationFailure("cannot open the log \(log): \(error)")
        }
    }
    return config
}

/// `weave host`'s listening and invitation, for a file or a folder: binds
/// `bind:port`, then makes (or reuses) the invitation for the address peers
/// dial (THIS-MACHINE for every interface). The hub is shut down on failure.
func listenAndInvite(_ hub: PeerHub, bind: String, port: Int, invitations: HostInvitations, readOnly: Bool, expires: String?,
                     config: inout PeerHub.Configuration) throws -> (bound: Int, address: String, invitation: Invitation) {
    let bound: Int
    do {
        bound = try hub.listen(host: bind, port: port).port ?? port
    } catch {
        _ = try? hub.shutdown()
        throw ValidationFailure("cannot listen on \(bind):\(port): \(error) (another --port, or --port 0 for any)")
    }
    let shown = bind == "0.0.0.0" || bind == "::" ? "THIS-MACHINE" : bind
    let address = "\(shown.contains(":") ? "[\(shown)]" : shown):\(bound)"
    do {
        let invitation = try invitations.forHost(readOnly: readOnly, validFor: expires.flatMap(DurationText.parse), address: address)
        config.security?.invitations.add(invitation)
        return (bound, address, invitation)
    } catch {
        _ = try? hub.shutdown()
        throw error
    }
}

/// Runs the session; the hub is shut down (Bye to every peer) on the way out.
private func runSession(_ session: EditorSession, hub: PeerHub) throws {
    defer { _ = try? hub.shutdown() }
    do {
        try session.run()
    } catch let error as TerminalError {
        throw ValidationFailure(error.description)
    } catch {
        throw ValidationFailure("history not saved on quit: \(error)")
    }
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
        if isFolder(file) {
            return try FolderCommands.host(file, name: name, port: port, bind: bind, log: log, offline: offline, readOnly: readOnly,
                                           approve: approve, expires: expires, open: open, verbose: verbose,
                                           configuration: hubConfiguration, run: runSession)
        }
        if open != nil { throw ValidationFailure("--open is for a shared folder, and \(file) is not a folder") }
        let session: EditorSession
        do {
            session = try EditorSession(path: file, author: name)
        } catch {
            throw ValidationFailure("\(error)")
        }
        let inbox = try PeerInbox()
        var config = try hubConfiguration(name: name, colour: 0, log: log)
        let invitations = try HostInvitations(document: file)
        config.security = PeerSecurity(identity: invitations.identity, invitations: try invitations.book(), requireApproval: approve)
        let hub = PeerLink.makeHub(document: session.editor.doc.rga, configuration: config, inbox: inbox)
        if let store = session.store { hub.addHistory(store.history) }  // joiners get every edit with its author and time
        let (bound, address, invitation) = try listenAndInvite(hub, bind: bind, port: port, invitations: invitations,
                                                               readOnly: readOnly, expires: expires, config: &config)
        let command = HostInvitations.joinCommand(address: address, invitation)
        print("hosting \(file) on \(bind):\(bound) (TLS 1.3, invited peers only\(approve ? ", each newcomer asked" : ""))")
        print("join with: \(command)")
        fflush(nil)
        let link = PeerLink(session: session, hub: hub, inbox: inbox)
        link.joinCommand = command
        link.joinInvitation = invitation
        link.attach()
        if offline { link.setOnline(false) }
        session.updateEditor { $0.notify("F4: peers + join command  join with: \(command)  (Ctrl-C in F4 copies it)") }
        try runSession(session, hub: hub)
        // Printed again where the terminal keeps it (the editor's screen is gone):
        // it works again whenever weave host runs on this file (until it expires or is revoked).
        print("join with: \(command)")
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
        guard let (host, port) = Join.parse(address) else {
            throw ValidationFailure("expected HOST:PORT, such as 127.0.0.1:7070 (got \(address))")
        }
        // A name that does not resolve is said now, not after --timeout.
        if let problem = NumericOption.unresolvable(host) { throw ValidationFailure(problem) }
        let replica = ReplicaID.random()
        let inbox = try PeerInbox()
        let colour = UInt8.random(in: 1 ..< UInt8(Grid.Colour.authorPalette.count))
        var config = try hubConfiguration(name: name, colour: colour, log: log)
        var invitation: Invitation?
        if let invite {
            guard let parsed = Invitation(token: invite) else {
                throw ValidationFailure("--invite: not an invitation (expected the wv1-… token in the host's join command)")
            }
            do { config.security = PeerSecurity(identity: try PeerIdentity.loadOrCreate()) } catch {
                throw ValidationFailure("cannot load or create this installation's identity: \(error)")
            }
            invitation = parsed
        }
        if let dir = file, dir.hasSuffix("/") || isFolder(dir) || open != nil {
            let note = try FolderCommands.join(dir, host: host, port: port, name: name, colour: colour, offline: offline,
                                               timeout: timeout, invitation: invitation, open: open, config: config, run: runSession)
            if let note { print(note) }
            return
        }
        if open != nil { throw ValidationFailure("--open is for joining a shared folder: weave join ADDRESS --invite TOKEN DIR/ --open PATH") }
        let hub = PeerLink.makeHub(document: RGA(replica: replica), configuration: config, inbox: inbox)
        var shared = RGA(replica: replica)
        var early: [PeerEvent] = []
        if offline {
            hub.setOnline(false)
            hub.connect(host: host, port: port, invitation: invitation)
        } else {
            hub.connect(host: host, port: port, invitation: invitation)
            print("joining \(host):\(port)…")
            fflush(nil)
            do {
                try JoinMerge.receiveDocument(inbox: inbox, into: &shared, early: &early, seconds: timeout) {
                    print("waiting for the host to let you in…")
                    fflush(nil)
                }
            } catch {
                _ = try? hub.shutdown()
                throw ValidationFailure("\(error)")
            }
        }
        let session: EditorSession
        do {
            session = try JoinMerge.openSession(file: file, address: address, author: name, offline: offline, replica: replica,
                                                shared: shared, hub: hub, early: early, confirm: { Join.confirmOverwrite(file: file ?? "", fileCount: $0, sharedCount: $1) })
        } catch {
            _ = try? hub.shutdown()
            throw ValidationFailure("\(error)")
        }
        let link = PeerLink(session: session, hub: hub, inbox: inbox)
        link.dialsOut = true
        // A read-only invitation says so in its token (and the host's Accept says it again).
        if invitation?.readOnly == true { link.becomeReadOnly() }
        link.attach(replaying: early)
        if offline { link.setOnline(false) }
        let watching = session.editor.readOnly != nil
        session.updateEditor {
            $0.notify(offline ? "Offline (F6 joins \(host):\(port))"
                              : watching ? "Joined \(host):\(port) read-only (\(shared.count) characters): watch, find, F2 time travel"
                              : "Joined \(host):\(port) (\(shared.count) characters)   F6 offline/online  F4 peers")
        }
        try runSession(session, hub: hub)
        if let note = link.exitNote { print(note) }
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
