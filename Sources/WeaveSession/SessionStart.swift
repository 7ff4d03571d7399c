import WeaveCore
import WeaveEditor
import WeavePeer
import WeaveStore
import WeaveTerminal

/// Why a session did not start, in words for the user (the command line
/// prints it after "Error:" and exits 1).
public struct StartFailure: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What `weave host FILE|DIR` was asked for.
public struct HostOptions {
    public var name: String
    public var port = 7070
    public var bind = "127.0.0.1"
    /// Append a structured log here.
    public var log: String?
    public var offline = false
    /// Print the read-only invitation instead of the editing one.
    public var readOnly = false
    /// Ask on screen before each newcomer's key gets in.
    public var approve = false
    /// Print a new invitation valid this many seconds instead of the standing one.
    public var expires: UInt64?
    /// (A folder) the file to show first.
    public var open: String?
    /// (A folder) list each file left out with its reason, not only their number.
    public var verbose = false
    /// Where this installation's identity and invitations are kept (nil: `PeerIdentity.defaultDirectory()`).
    public var configDirectory: String?

    public init(name: String) { self.name = name }
}

/// What `weave join HOST:PORT --invite TOKEN [FILE|DIR/]` was asked for.
public struct JoinOptions {
    public var host: String
    public var port: Int
    public var invitation: Invitation?
    public var name: String
    public var log: String?
    public var offline = false
    /// Seconds to wait for the document (or the folder's file list).
    public var timeout = 10.0
    /// (A folder) the file to show first.
    public var open: String?
    /// Where this installation's identity is kept (nil: `PeerIdentity.defaultDirectory()`).
    public var configDirectory: String?

    public init(host: String, port: Int, invitation: Invitation?, name: String) {
        (self.host, self.port, self.invitation, self.name) = (host, port, invitation, name)
    }

    /// "HOST:PORT" as the joiner shows it ([IPv6]:PORT).
    public var address: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

/// A wired session, ready to run: the editor session, its peer link and hub,
/// and for a shared folder the folder and its companion. Made by
/// `SessionStart.host` and `SessionStart.join`, the one start-up path of the
/// command line, the tests and the benchmarks.
public final class LiveSession {
    public let session: EditorSession
    public let link: PeerLink
    /// The shared folder (nil for one file).
    public let folder: WorkspaceFolder?
    public let workspace: WorkspaceSession?
    /// (Host) The command that joins, as printed; nil for a joiner.
    public let joinCommand: String?
    /// What to print before the editor takes the screen (host: where it listens and the join command).
    public let banner: [String]
    public var hub: PeerHub { link.hub }

    init(session: EditorSession, link: PeerLink, folder: WorkspaceFolder? = nil, workspace: WorkspaceSession? = nil,
         joinCommand: String? = nil, banner: [String] = []) {
        (self.session, self.link, self.folder, self.workspace, self.joinCommand, self.banner) =
            (session, link, folder, workspace, joinCommand, banner)
    }

    /// Runs the editor until the user quits; the hub says goodbye to every peer
    /// on the way out. Throws `StartFailure` (a terminal that cannot be driven,
    /// a history that could not be saved on quit).
    public func run() throws {
        defer { _ = try? hub.shutdown() }
        do {
            try session.run()
        } catch let error as TerminalError {
            throw StartFailure(error.description)
        } catch {
            throw StartFailure("history not saved on quit: \(error)")
        }
    }

    /// (Joiner) What to print after the session: edits that have not reached anyone, and so on.
    public var exitNote: String? { link.exitNote }
}

/// The steps between the command line and a running session, for one file
/// and for a folder, host and join. Every step that can fail throws
/// `StartFailure` with a sentence, and shuts down a hub it made.
public enum SessionStart {
    /// A hub's settings from the command line: the name and colour shown to
    /// peers and the `--log` file (opened for appending). Throws `StartFailure`.
    public static func configuration(name: String, colour: UInt8, log: String?, label: String = "weave.peer",
                                     logFormat: KeyValueLogHandler.Format = .keyValue) throws -> PeerHub.Configuration {
        var config = PeerHub.Configuration(name: name, colour: colour)
        if let log {
            do {
                config.logger = KeyValueLogHandler.logger(label: label, file: try KeyValueLogHandler.File(path: log), format: logFormat)
            } catch {
                throw StartFailure("cannot open the log \(log): \(error)")
            }
        }
        return config
    }

    /// Where a host listens and the invitation it prints.
    public struct Listening {
        public let bound: Int
        /// HOST:PORT as peers dial it (THIS-MACHINE when bound to every interface).
        public let address: String
        public let invitation: Invitation
    }

    /// Binds `bind:port`, then makes (or reuses) the invitation for the
    /// address peers dial, and adds it to the hub's book. The hub is shut
    /// down on failure. Throws `StartFailure`.
    public static func listen(_ hub: PeerHub, bind: String, port: Int, invitations: HostInvitations, readOnly: Bool,
                              expires: UInt64?, config: PeerHub.Configuration) throws -> Listening {
        let bound: Int
        do {
            bound = try hub.listen(host: bind, port: port).port ?? port
        } catch {
            _ = try? hub.shutdown()
            throw StartFailure("cannot listen on \(bind):\(port): \(error) (another --port, or --port 0 for any)")
        }
        let shown = bind == "0.0.0.0" || bind == "::" ? "THIS-MACHINE" : bind
        let address = "\(shown.contains(":") ? "[\(shown)]" : shown):\(bound)"
        do {
            let invitation = try invitations.forHost(readOnly: readOnly, validFor: expires, address: address)
            config.security?.invitations.add(invitation)
            return Listening(bound: bound, address: address, invitation: invitation)
        } catch {
            _ = try? hub.shutdown()
            throw StartFailure("\(error)")
        }
    }

    /// A host's settings: `configuration` plus TLS with `path`'s invitations
    /// (and asking before each newcomer when `approve`).
    static func hostConfiguration(_ path: String, _ options: HostOptions) throws -> (PeerHub.Configuration, HostInvitations) {
        try secured(try configuration(name: options.name, colour: 0, log: options.log), for: path,
                    configDirectory: options.configDirectory, approve: options.approve)
    }

    /// `config` with TLS 1.3 and `path`'s identity and invitations (made on
    /// first use in `configDirectory`), asking before each newcomer when
    /// `approve`: what `weave host` and `weave serve` share. Throws `StartFailure`.
    static func secured(_ config: PeerHub.Configuration, for path: String, configDirectory: String?,
                        approve: Bool = false) throws -> (PeerHub.Configuration, HostInvitations) {
        var config = config
        do {
            let invitations = try HostInvitations(document: path, directory: configDirectory)
            config.security = PeerSecurity(identity: invitations.identity, invitations: try invitations.book(),
                                           requireApproval: approve)
            return (config, invitations)
        } catch {
            throw StartFailure("\(error)")
        }
    }

    /// `weave host FILE|DIR`: opens FILE with its history (or shares every
    /// text file under DIR), listens, and wires the link, online or not.
    /// Nothing is drawn yet: print `banner`, then `run()`.
    public static func host(_ path: String, _ options: HostOptions) throws -> LiveSession {
        if WorkspaceStart.isFolder(path) { return try hostFolder(path, options) }
        if options.open != nil { throw StartFailure("--open is for a shared folder, and \(path) is not a folder") }
        let (config, invitations) = try hostConfiguration(path, options)
        let session: EditorSession
        do { session = try EditorSession(path: path, author: options.name) } catch { throw StartFailure("\(error)") }
        let inbox: PeerInbox
        do { inbox = try PeerInbox() } catch { throw StartFailure("cannot start the session: \(error)") }
        let hub = PeerLink.makeHub(document: session.editor.doc.rga, configuration: config, inbox: inbox)
        if let store = session.store { hub.addHistory(store.history) }  // joiners get every edit with its author and time
        let at = try listen(hub, bind: options.bind, port: options.port, invitations: invitations, readOnly: options.readOnly,
                            expires: options.expires, config: config)
        let command = HostInvitations.joinCommand(address: at.address, at.invitation)
        let link = PeerLink(session: session, hub: hub, inbox: inbox)
        link.joinCommand = command
        link.joinInvitation = at.invitation
        link.attach()
        if options.offline { link.setOnline(false) }
        session.updateEditor { $0.notify("F4: peers + join command  join with: \(command)  (Ctrl-C in F4 copies it)") }
        let asked = options.approve ? ", each newcomer asked" : ""
        return LiveSession(session: session, link: link, joinCommand: command, banner: [
            "hosting \(path) on \(options.bind):\(at.bound) (TLS 1.3, invited peers only\(asked))",
            "join with: \(command)",
        ])
    }

    /// `weave host DIR`: see `host`. The banner also says how many files are
    /// left out (each with its reason when `options.verbose`).
    static func hostFolder(_ path: String, _ options: HostOptions) throws -> LiveSession {
        let root = WorkspaceStart.trimmed(path)
        let (config, invitations) = try hostConfiguration(root, options)
        let parts: WorkspaceParts
        do {
            parts = try WorkspaceStart.host(root, name: options.name, configuration: config, open: options.open)
        } catch {
            throw StartFailure("cannot share \(root): \(error)")
        }
        let at = try listen(parts.hub, bind: options.bind, port: options.port, invitations: invitations,
                            readOnly: options.readOnly, expires: options.expires, config: config)
        let base = root.split(separator: "/").last.map(String.init) ?? "shared"
        let command = HostInvitations.joinCommand(address: at.address, at.invitation) + " \(base)/"
        parts.link.joinCommand = command
        parts.link.joinInvitation = at.invitation
        parts.link.attach()
        if options.offline { parts.link.setOnline(false) }
        parts.session.updateEditor { $0.notify("Ctrl-B: files  F4: peers + join command  join with: \(command)") }
        let asked = options.approve ? ", each newcomer asked" : ""
        let skipped = parts.folder.skipped
        let left = options.verbose ? skipped.map { "not shared: \($0.path) (\($0.reason))" }
                                   : skipped.isEmpty ? [] : ["\(skipped.count) file(s) not shared (--verbose lists them)"]
        return LiveSession(session: parts.session, link: parts.link, folder: parts.folder, workspace: parts.workspace,
                           joinCommand: command, banner: left + [
            "hosting the folder \(root) (\(parts.folder.state.files.count) files) on \(options.bind):\(at.bound) (TLS 1.3, invited peers only\(asked))",
            "join with: \(command)",
        ])
    }

    /// Whether `weave join … TARGET` mirrors a folder: TARGET ends in `/`, is a
    /// folder, or `--open` names a file in one.
    public static func joinsFolder(_ target: String?, open: String?) -> Bool {
        guard let target else { return false }
        return target.hasSuffix("/") || WorkspaceStart.isFolder(target) || open != nil
    }

    /// `weave join HOST:PORT --invite TOKEN [FILE|DIR/]`: dials, waits (at
    /// most `options.timeout`) for the document or the folder's file list,
    /// merges it with FILE's kept copy (asking `confirm(fileCount,
    /// sharedCount)` before other text is replaced), and wires the link.
    /// `progress` is told what happens meanwhile ("joining…", "waiting for
    /// the host to let you in…"). Offline, opens what an earlier join kept.
    public static func join(into target: String?, _ options: JoinOptions, progress: (String) -> Void = { _ in },
                            confirm: (Int, Int) -> Bool = { _, _ in false }) throws -> LiveSession {
        let colour = UInt8.random(in: 1 ..< UInt8(Grid.Colour.authorPalette.count))
        var config = try configuration(name: options.name, colour: colour, log: options.log)
        if options.invitation != nil {
            do { config.security = PeerSecurity(identity: try PeerIdentity.loadOrCreate(directory: options.configDirectory)) } catch {
                throw StartFailure("cannot load or create this installation's identity: \(error)")
            }
        }
        let waiting = { progress("waiting for the host to let you in…") }
        if let dir = target, joinsFolder(dir, open: options.open) {
            if !options.offline { progress("joining \(options.host):\(options.port)…") }
            let parts: WorkspaceParts
            do {
                parts = try WorkspaceStart.join(dir, host: options.host, port: options.port, name: options.name, configuration: config,
                                                invitation: options.invitation, open: options.open, offline: options.offline,
                                                seconds: options.timeout, waiting: waiting)
            } catch {
                throw StartFailure("\(error)")
            }
            parts.link.attach(replaying: parts.early)
            if options.offline { parts.link.setOnline(false) }
            let where_ = "\(options.host):\(options.port)"
            let count = parts.folder.state.files.count
            parts.session.updateEditor {
                $0.notify(options.offline ? "Offline (F6 joins \(where_))" : "Joined \(where_): \(count) files   Ctrl-B files  F4 peers")
            }
            return LiveSession(session: parts.session, link: parts.link, folder: parts.folder, workspace: parts.workspace)
        }
        if options.open != nil {
            throw StartFailure("--open is for joining a shared folder: weave join ADDRESS --invite TOKEN DIR/ --open PATH")
        }
        return try joinFile(target, options, config: config, progress: progress, confirm: confirm)
    }

    /// `weave join … [FILE]` of one document: see `join`.
    static func joinFile(_ file: String?, _ options: JoinOptions, config: PeerHub.Configuration, progress: (String) -> Void,
                         confirm: (Int, Int) -> Bool) throws -> LiveSession {
        let replica = ReplicaID.random()
        let inbox: PeerInbox
        do { inbox = try PeerInbox() } catch { throw StartFailure("cannot start the session: \(error)") }
        let hub = PeerLink.makeHub(document: RGA(replica: replica), configuration: config, inbox: inbox)
        var shared = RGA(replica: replica)
        var early: [PeerEvent] = []
        if options.offline { hub.setOnline(false) }
        hub.connect(host: options.host, port: options.port, invitation: options.invitation)
        if !options.offline {
            progress("joining \(options.host):\(options.port)…")
            do {
                try JoinMerge.receiveDocument(inbox: inbox, into: &shared, early: &early, seconds: options.timeout) {
                    progress("waiting for the host to let you in…")
                }
            } catch {
                _ = try? hub.shutdown()
                throw StartFailure("\(error)")
            }
        }
        let session: EditorSession
        do {
            session = try JoinMerge.openSession(file: file, address: options.address, author: options.name, offline: options.offline,
                                                replica: replica, shared: shared, hub: hub, early: early, confirm: confirm)
        } catch {
            _ = try? hub.shutdown()
            throw StartFailure("\(error)")
        }
        let link = PeerLink(session: session, hub: hub, inbox: inbox)
        link.dialsOut = true
        // A read-only invitation says so in its token (and the host's Accept says it again).
        if options.invitation?.readOnly == true { link.becomeReadOnly() }
        link.attach(replaying: early)
        if options.offline { link.setOnline(false) }
        let watching = session.editor.readOnly != nil
        let at = "\(options.host):\(options.port)"
        session.updateEditor {
            $0.notify(options.offline ? "Offline (F6 joins \(at))"
                                      : watching ? "Joined \(at) read-only (\(shared.count) characters): watch, find, F2 time travel"
                                      : "Joined \(at) (\(shared.count) characters)   F6 offline/online  F4 peers")
        }
        return LiveSession(session: session, link: link)
    }
}
