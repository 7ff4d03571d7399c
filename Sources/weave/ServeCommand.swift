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

    @Flag(help: "Write --log as JSON lines (one object per line) instead of key=value lines.")
    var logJSON = false

    @Flag(help: "Print the read-only invitation: its joiners watch but cannot edit.")
    var readOnly = false

    @Option(help: ArgumentHelp("Serve Prometheus metrics at http://ADDR:PORT/metrics and /healthz (ADDR defaults to 127.0.0.1).",
                               valueName: "[ADDR:]PORT"))
    var metrics: String?

    mutating func validate() throws {
        try NumericOption.check("--port", port, 0 ... 65535)
    }

    func run() throws {
        if let busy = NumericOption.portInUse(bind: bind, port: port) { throw ValidationError(busy) }
        var options = ServeOptions()
        (options.name, options.port, options.bind, options.log, options.readOnly) = (name, port, bind, log, readOnly)
        options.metrics = metrics
        options.logJSON = logJSON
        let relay: Relay
        do { relay = try Relay.start(file, options) } catch let failure as StartFailure { throw ValidationError(failure.description) }
        for line in relay.banner { print(line) }
        fflush(nil)
        print(try relay.run(say: { print($0); fflush(nil) }))
    }
}
