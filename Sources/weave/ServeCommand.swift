#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import WeaveSession

/// `weave serve FILE`: a headless peer. It holds FILE's document, accepts
/// peers, relays operations between them, and on SIGINT or SIGTERM says
/// goodbye to every peer and writes the text back to FILE atomically.
/// Async: the relay runs as a swift-service-lifecycle service (`Relay.serve`).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a headless peer that keeps FILE's document and relays between peers.",
        discussion: """
        Binds 127.0.0.1 unless --bind says otherwise, and prints the command that joins it: \
        links run over TLS 1.3 and admit holders of FILE's invitations only (the standing one, \
        as weave host prints it, or one from weave invite; weave revoke closes their links). \
        Peers that are not directly connected converge through it. On Ctrl-C (SIGINT) or \
        SIGTERM the text is written back to FILE (a temporary file renamed over it), the peers are \
        told the relay is restarting, and it exits 0; if that takes longer than --stop-timeout, or \
        a second signal comes, it exits 1 at once (every edit received is in the history by then, \
        unless the disk itself is stuck). --log FILE appends a structured key=value log of connections, handshakes, errors \
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

    @Flag(help: "Write --log as JSON lines (one object per line) instead of key=value lines.")
    var logJSON = false

    @Flag(help: "Print the read-only invitation: its joiners watch but cannot edit.")
    var readOnly = false

    @Option(help: ArgumentHelp("Serve Prometheus metrics at http://ADDR:PORT/metrics and /healthz (ADDR defaults to 127.0.0.1).",
                               valueName: "[ADDR:]PORT"))
    var metrics: String?

    @Option(help: ArgumentHelp("After SIGTERM or SIGINT, exit anyway if the drain (goodbyes, last writes) takes longer.",
                               valueName: "seconds"))
    var stopTimeout: Double = 10

    mutating func validate() throws {
        try NumericOption.check("--port", port, 0 ... 65535)
        guard stopTimeout > 0, stopTimeout <= 3600 else {
            throw ValidationError("--stop-timeout takes seconds between 0 and 3600 (10 by default), not \(stopTimeout)")
        }
    }

    func run() async throws {
        // First: until the relay's ServiceGroup takes SIGTERM and SIGINT,
        // they are noted, not fatal.
        Relay.holdStopSignals()
        if let busy = NumericOption.portInUse(bind: bind, port: port) { throw ValidationError(busy) }
        var options = ServeOptions()
        (options.name, options.port, options.bind, options.log, options.readOnly) = (name, port, bind, log, readOnly)
        options.metrics = metrics
        options.logJSON = logJSON
        options.stopTimeout = .milliseconds(Int64(stopTimeout * 1000))
        let relay: Relay
        do { relay = try Relay.start(file, options) } catch let failure as StartFailure { throw ValidationError(failure.description) }
        for line in relay.banner { print(line) }
        fflush(nil)
        switch try await relay.serve(stopTimeout: options.stopTimeout, say: { print($0); fflush(nil) }) {
        case .drained(let closing):
            print(closing)
        case .forced(let why):
            print("stopped without finishing: \(why); the history keeps every edit it had made durable")
            fflush(nil)
            throw ExitCode(1)
        }
    }
}
