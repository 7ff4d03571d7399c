#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Logging
import WeaveCore
import WeavePeer
import WeaveStore
import WeaveSession

/// `weave serve FILE`: a headless peer. It holds FILE's document, accepts
/// peers, relays operations between them, and on SIGINT or SIGTERM says
/// goodbye to every peer and writes the text back to FILE atomically.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a headless peer that keeps FILE's document and relays between peers.",
        discussion: """
        Binds 127.0.0.1 unless --bind says otherwise, and prints the command that joins it: \
        links run over TLS 1.3 and admit holders of FILE's invitations only (the standing one, \
        as weave host prints it, or one from weave invite; weave revoke closes their links). \
        Peers that are not directly connected converge through it. On Ctrl-C (SIGINT) or \
        SIGTERM the text is written back to FILE (a temporary file renamed over it). \
        --log FILE appends a structured key=value log of connections, handshakes, errors \
        and catch-up sizes.
        """
    )

    @Argument(help: "The text file to serve (created on exit if it does not exist), or a folder: every text file under it.")
    var file: String

    @Option(parsing: .unconditional, help: "TCP port to listen on (0: any free port).")
    var port: Int = 7070

    @Option(help: "Address to bind (127.0.0.1 keeps it on this machine; 0.0.0.0 for every interface).")
    var bind: String = "127.0.0.1"

    @Option(help: "Name shown to peers.")
    var name: String = "serve"

    @Option(help: "Append a structured log to this file.")
    var log: String?

    @Flag(help: "Print the read-only invitation: its joiners watch but cannot edit.")
    var readOnly = false

    mutating func validate() throws {
        try NumericOption.check("--port", port, 0 ... 65535)
    }

    func run() throws {
        if let busy = NumericOption.portInUse(bind: bind, port: port) { throw ValidationError(busy) }
        if isFolder(file) { return try serveFolder() }
        let history: ServeHistory
        do {
            history = try Serve.loadDocument(file, author: name)
        } catch {
            throw ValidationError("\(error)")
        }
        let document = history.document
        var (config, invitations) = try relayConfiguration(file)
        var stop = blockStopSignals()

        // The hub's loop only queues (history batches, report lines): the disk and
        // stdout are written from this thread, so neither can stall a link.
        let lines = LineQueue()
        let hub = PeerHub(document: document, configuration: config, onEvent: { event in
            if case .remoteOperations(let ops, _) = event { history.record(ops) }
            if case .history(let note) = event { history.learn(note) }
            if let line = Serve.report(event) { lines.append(line) }
        })
        hub.addHistory(history.loadedHistory)  // joiners get every edit with its author and time
        let (_, address, invitation) = try listenAndInvite(hub, bind: bind, port: port, invitations: invitations,
                                                           readOnly: readOnly, expires: nil, config: &config)
        print("serving \(file) (\(document.count) characters) on \(address) (TLS 1.3, invited peers only)")
        print("join with: \(HostInvitations.joinCommand(address: address, invitation))")
        print("stop with Ctrl-C; the text is saved to \(file)")
        flushOutput()
        // Meanwhile recorded batches are made durable (group commit: at most ~100 ms after they arrived).
        serveUntilStopped(&stop, lines: lines) {
            if let error = history.flushIfNeeded() { print("! history not saved: \(error)"); flushOutput() }
        }
        let final = try hub.shutdown()
        printReports(lines)
        try history.finish(final)
        print("saved \(final.count) characters to \(file) (history in \(OpLog.sidecarPath(for: file)))")
    }

    /// The relay's hub settings for `path` (a file or a folder): no cursor (joiners
    /// show none for it), TLS with `path`'s invitations, the `--log` file.
    func relayConfiguration(_ path: String) throws -> (PeerHub.Configuration, HostInvitations) {
        var config = PeerHub.Configuration(name: name, colour: 0)
        config.showsCursor = false
        let invitations = try HostInvitations(document: path)
        config.security = PeerSecurity(identity: invitations.identity, invitations: try invitations.book())
        if let log {
            config.logger = KeyValueLogHandler.logger(label: "weave.serve", file: try KeyValueLogHandler.File(path: log))
        }
        return (config, invitations)
    }

    /// `weave serve DIR`: the shared folder, kept and relayed headless.
    func serveFolder() throws {
        var root = file
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        let folder: WorkspaceFolder
        do {
            folder = try WorkspaceFolder(root: root, replica: .random(), author: name, colour: 0, workspaceID: UInt64.random(in: 1 ... .max))
            folder.deferSyncs()
            _ = try folder.scan()
        } catch {
            throw ValidationError("cannot share \(root): \(error)")
        }
        var (config, invitations) = try relayConfiguration(root)
        config.share = .folder(folder.workspaceID)
        var stop = blockStopSignals()
        let lines = LineQueue()
        let relay = WorkspaceRelay(folder: folder)
        let hub = PeerHub(document: folder.manifest.doc, configuration: config, onEvent: { event in
            relay.post(event)
            if let line = Serve.report(event) { lines.append(line) }
        })
        hub.addHistory(folder.manifest.history)
        do { try relay.start(hub) } catch {
            _ = try? hub.shutdown()
            throw ValidationError("cannot serve \(root): \(error)")
        }
        let (_, address, invitation) = try listenAndInvite(hub, bind: bind, port: port, invitations: invitations,
                                                           readOnly: readOnly, expires: nil, config: &config)
        let base = root.split(separator: "/").last.map(String.init) ?? "shared"
        print("serving the folder \(root) (\(folder.state.files.count) files) on \(address) (TLS 1.3, invited peers only)")
        print("join with: \(HostInvitations.joinCommand(address: address, invitation)) \(base)/")
        print("stop with Ctrl-C")
        flushOutput()
        serveUntilStopped(&stop, lines: lines) {
            for p in relay.process() { print("! \(p)"); flushOutput() }
        }
        _ = try hub.shutdown()
        printReports(lines)
        try relay.finish()
        print("saved the folder \(root) (\(folder.state.files.count) files)")
    }

    /// The document to serve, with its history (`StoredDocument`: FILE and
    /// `.FILE.weave`, created when missing), so element IDs and every peer's
    /// edits survive restarts.
    static func loadDocument(_ path: String, author: String) throws -> ServeHistory {
        try ServeHistory(StoredDocument(file: path, author: author))
    }

    /// The line stdout shows for a join, a leave or a failed connection (nil for other events).
    @Sendable static func report(_ event: PeerEvent) -> String? {
        switch event {
        case .peerJoined(let p): return "+ \(p.name.isEmpty ? "?" : p.name) (\(p.address)) joined"
        case .peerLeft(let p, let reason): return "- \(p.name.isEmpty ? "?" : p.name) (\(p.address)) left: \(reason)"
        case .connectionError(let address, let reason): return "! \(address): \(reason)"
        default: return nil
        }
    }
}

private func flushOutput() { fflush(nil) }

/// Blocks SIGINT and SIGTERM (call before NIO starts its thread), so that only
/// `sigtimedwait` sees them. Returns the set.
private func blockStopSignals() -> sigset_t {
    var stop = sigset_t()
    sigemptyset(&stop)
    sigaddset(&stop, SIGINT)
    sigaddset(&stop, SIGTERM)
    pthread_sigmask(SIG_BLOCK, &stop, nil)
    return stop
}

/// Prints the join/leave lines the hub queued.
private func printReports(_ lines: LineQueue) {
    let batch = lines.take()
    for line in batch { print(line) }
    if !batch.isEmpty { flushOutput() }
}

/// Until SIGINT or SIGTERM: every 100 ms, prints the queued lines and calls `tick`.
private func serveUntilStopped(_ stop: inout sigset_t, lines: LineQueue, tick: () -> Void) {
    var wait = timespec(tv_sec: 0, tv_nsec: 100_000_000)
    while sigtimedwait(&stop, nil, &wait) < 0 {
        printReports(lines)
        tick()
    }
}
