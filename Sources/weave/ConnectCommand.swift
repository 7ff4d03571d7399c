#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import WeavePeer
import WeaveSession

/// `weave connect`: a session for another editor (Neovim's plugin in
/// Editors/nvim), which talks the editor protocol on stdin and stdout
/// (docs/EDITORS.md).
struct Connect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join (or host) a session for another editor, which talks the editor protocol on stdin/stdout.",
        discussion: """
        weave connect HOST:PORT --invite TOKEN [FILE|DIR/] joins like weave join (TLS, invitations, \
        FILE's history kept beside it, a shared folder mirrored into DIR/, offline queue, reconnects); \
        weave connect --host FILE|DIR hosts it like weave host and sends the join command to the editor. The editor speaks \
        JSON-RPC with Content-Length framing (docs/EDITORS.md); Editors/nvim is Neovim's plugin. \
        Progress and errors before the session starts go to stderr.
        """)

    @Argument(help: "The host to join, HOST:PORT (not with --host).")
    var address: String?

    @Argument(help: "Keep a copy of the shared document and its history in this file (or mirror a shared folder into DIR/).")
    var file: String?

    @Option(help: "Host this file (or folder) instead of joining (prints nothing on stdout but the protocol).")
    var host: String?

    @Option(help: "The invitation in the host's join command (wv1-…).")
    var invite: String?

    @Option(help: "Your name, shown to peers.")
    var name: String = EditorSession.defaultAuthor

    @Option(help: "Append a structured log to this file.")
    var log: String?

    @Flag(help: "Start offline.")
    var offline = false

    @Option(parsing: .unconditional, help: "(Joining) Seconds to wait for the document (more than 0, at most \(Int(NumericOption.maxTimeout))).")
    var timeout: Double = 10

    @Option(parsing: .unconditional, help: "(Hosting) TCP port to listen on (0: any free port).")
    var port: Int = 7070

    @Option(help: "(Hosting) Address to bind.")
    var bind: String = "127.0.0.1"

    mutating func validate() throws {
        try NumericOption.checkSeconds("--timeout", timeout, above: 0, atMost: NumericOption.maxTimeout)
        try NumericOption.check("--port", port, 0 ... 65535)
        if host == nil {
            guard address != nil else { throw ValidationError("weave connect needs HOST:PORT --invite TOKEN, or --host FILE") }
            guard invite != nil else { throw ValidationError("weave connect HOST:PORT needs the invitation from the host's join command (--invite wv1-…)") }
        } else if address != nil {
            throw ValidationError("--host FILE hosts FILE: give no HOST:PORT with it")
        }
    }

    func run() throws {
        let say: (String) -> Void = { FileHandleStderr.write($0 + "\n") }
        let live: LiveSession
        do {
            if let host {
                if let busy = NumericOption.portInUse(bind: bind, port: port) { throw ValidationFailure(busy) }
                var options = HostOptions(name: name)
                (options.port, options.bind, options.log, options.offline) = (port, bind, log, offline)
                live = try SessionStart.host(host, options)
            } else {
                let target = try PeerTarget(address: address ?? "", invite: invite ?? "")
                var options = JoinOptions(host: target.host, port: target.port, invitation: target.invitation, name: name)
                (options.log, options.offline, options.timeout) = (log, offline, timeout)
                live = try SessionStart.join(into: file, options, progress: say)
            }
        } catch let failure as StartFailure {
            throw ValidationFailure(failure.description)
        }
        do { try BridgeClient(live).run() } catch {
            throw ValidationFailure("history not saved: \(error)")
        }
    }
}
