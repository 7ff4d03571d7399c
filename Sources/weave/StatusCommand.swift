import ArgumentParser
import WeavePeer
import WeaveSession

/// `weave status HOST:PORT --invite TOKEN`: a session's health, for scripts.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a session: weave status HOST:PORT --invite TOKEN prints its host, peers, document and version, then exits.",
        discussion: """
        Joins as a headless peer named "weave status" (no cursor, no edits), takes the document, \
        prints what it found and leaves. Exits 0 when the session answered, 1 otherwise (the \
        reason on standard error): a health check a script or a monitor can run.
        """)

    @Argument(help: "The session, HOST:PORT (as printed by weave host or weave serve).")
    var address: String

    @Option(help: "The invitation in the host's join command (wv1-…).")
    var invite: String

    @Option(parsing: .unconditional, help: "Seconds to wait for the session (more than 0, at most \(Int(NumericOption.maxTimeout))).")
    var timeout: Double = 10

    mutating func validate() throws {
        try NumericOption.checkSeconds("--timeout", timeout, above: 0, atMost: NumericOption.maxTimeout)
    }

    func run() throws {
        let target = try PeerTarget(address: address, invite: invite)
        do {
            for line in try StatusProbe.run(host: target.host, port: target.port, invitation: target.invitation, seconds: timeout) { print(line) }
        } catch {
            FileHandleStderr.write("weave status: \(error)\n")
            throw ExitCode(1)
        }
    }
}
