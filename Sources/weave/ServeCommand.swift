#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Logging
import WeaveCore
import WeavePeer
import WeaveTerminal

/// `weave serve FILE`: a headless peer. It holds FILE's document, accepts
/// peers, relays operations between them, and on SIGINT or SIGTERM says
/// goodbye to every peer and writes the text back to FILE atomically.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a headless peer that keeps FILE's document and relays between peers.",
        discussion: """
        Binds 127.0.0.1 unless --bind says otherwise, and prints the command that joins it. \
        Peers that are not directly connected converge through it. On Ctrl-C (SIGINT) or \
        SIGTERM the text is written back to FILE (a temporary file renamed over it). \
        --log FILE appends a structured key=value log of connections, handshakes, errors \
        and catch-up sizes.
        """
    )

    @Argument(help: "The text file to serve (created on exit if it does not exist).")
    var file: String

    @Option(help: "TCP port to listen on (0: any free port).")
    var port: Int = 7070

    @Option(help: "Address to bind (127.0.0.1 keeps it on this machine; 0.0.0.0 for every interface).")
    var bind: String = "127.0.0.1"

    @Option(help: "Name shown to peers.")
    var name: String = "serve"

    @Option(help: "Append a structured log to this file.")
    var log: String?

    mutating func validate() throws {
        if port < 0 || port > 65535 { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() throws {
        let document: RGA
        do {
            document = try Serve.loadDocument(file)
        } catch {
            throw ValidationError("\(error)")
        }
        var config = PeerHub.Configuration(name: name, colour: 0)
        if let log {
            config.logger = KeyValueLogHandler.logger(label: "weave.serve", file: try KeyValueLogHandler.File(path: log))
        }
        // Block the stop signals before NIO starts its thread, so that only sigwait sees them.
        var stop = sigset_t()
        sigemptyset(&stop)
        sigaddset(&stop, SIGINT)
        sigaddset(&stop, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &stop, nil)

        let hub = PeerHub(document: document, configuration: config, onEvent: Serve.report)
        let address: String
        do {
            let bound = try hub.listen(host: bind, port: port)
            address = "\(bind):\(bound.port ?? port)"
        } catch {
            _ = try? hub.shutdown()
            throw ValidationError("cannot listen on \(bind):\(port): \(error)")
        }
        print("serving \(file) (\(document.count) characters) on \(address)")
        print("join with: weave join \(address)")
        print("stop with Ctrl-C; the text is saved to \(file)")
        flushOutput()

        var signal: Int32 = 0
        sigwait(&stop, &signal)
        let final = try hub.shutdown()
        try Serve.saveDocument(final, to: file)
        print("saved \(final.count) characters to \(file)")
    }

    /// The document to serve. For now FILE's plain text, inserted by a fresh
    /// replica (a missing file is an empty document); this is the one place to
    /// switch to WeaveStore's history file, which keeps IDs across runs.
    static func loadDocument(_ path: String) throws -> RGA {
        var doc = RGA(replica: .random())
        if let text = try DocumentFile.load(path), !text.isEmpty { doc.insert(text, at: 0) }
        return doc
    }

    /// Writes the document's text back to `path` atomically.
    static func saveDocument(_ document: RGA, to path: String) throws {
        try DocumentFile.save(document.text, to: path)
    }

    /// One line per join and leave, on stdout. Runs on the hub's loop.
    @Sendable static func report(_ event: PeerEvent) {
        switch event {
        case .peerJoined(let p): print("+ \(p.name.isEmpty ? "?" : p.name) (\(p.address)) joined")
        case .peerLeft(let p, let reason): print("- \(p.name.isEmpty ? "?" : p.name) (\(p.address)) left: \(reason)")
        case .connectionError(let address, let reason): print("! \(address): \(reason)")
        default: return
        }
        flushOutput()
    }
}

private func flushOutput() { fflush(nil) }
