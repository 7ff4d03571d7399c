// weave-bot: joins a Weave session as a headless peer and types a file into the
// shared document at a chosen speed. A demo tool, a load generator, and the
// example of using Weave as a library: WeaveCore for the document, WeavePeer
// for the link.
//
//   swift run weave-bot 127.0.0.1:7070 notes.txt --invite wv1-… --cps 15 --name bot
//
// The invitation is the one in the host's join command: the link runs over
// TLS 1.3 with the host's certificate pinned (a throwaway identity of its own).
//
// It keeps its own replica (a mirror of the shared document), makes each
// keystroke there as a local edit, and hands the operation to the hub, which
// sends it to every peer. Remote edits arrive as events and are applied to the
// mirror before the next keystroke, so the bot always types at the end of the
// text as everyone sees it.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import WeaveCore
import WeavePeer

@main
enum WeaveBot {
    static func main() {
        func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data("weave-bot: \(message)\n".utf8))
            exit(1)
        }

        var args = Array(CommandLine.arguments.dropFirst())
        func option(_ name: String) -> String? {
            guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
            defer { args.removeSubrange(i ... i + 1) }
            return args[i + 1]
        }
        let cps = Double(option("--cps") ?? "15") ?? 15
        let name = option("--name") ?? "bot"
        let token = option("--invite")
        guard args.count == 2 else { fail("usage: weave-bot HOST:PORT FILE --invite TOKEN [--cps N] [--name NAME]") }
        let parts = args[0].split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]), port > 0, port < 65536 else { fail("expected HOST:PORT, got \(args[0])") }
        guard let token else { fail("--invite TOKEN is required: the wv1-… invitation in the host's join command") }
        guard let invitation = Invitation(token: token) else { fail("--invite: not an invitation (expected wv1-…)") }
        guard let data = FileManager.default.contents(atPath: args[1]), let text = String(data: data, encoding: .utf8) else {
            fail("cannot read \(args[1]) as UTF-8 text")
        }
        guard cps > 0 else { fail("--cps must be positive") }

        var mirror = RGA(replica: .random())
        let inbox: PeerInbox
        do { inbox = try PeerInbox() } catch { fail("\(error)") }
        let hub = PeerHub(document: mirror, configuration: PeerHub.Configuration(name: name, colour: 4), onEvent: inbox.post)
        hub.connect(host: String(parts[0]), port: port, invitation: invitation)

        /// Applies whatever the hub reported; returns whether we are caught up with a peer.
        func absorb() -> Bool {
            var caughtUp = false
            for event in inbox.drain() {
                switch event {
                case .remoteOperations(let ops, _):
                    do { try mirror.receive(contentsOf: ops) } catch { fail("bad operations from a peer: \(error)") }
                case .caughtUp: caughtUp = true
                case .linkFailed(_, let reason): fail("cannot join: \(reason)")
                default: break
                }
            }
            return caughtUp
        }

        // Wait (at most 60 s: in a connection storm the host admits a few
        // handshakes at a time and the others redial) until the document has arrived.
        let deadline = Date().addingTimeInterval(60)
        while !absorb() {
            if Date() > deadline { fail("no peer answered at \(args[0]) within 60 s") }
            usleep(10_000)
        }
        print("joined \(args[0]) as \(name); typing \(text.unicodeScalars.count) characters at \(cps)/s")
        for scalar in text.unicodeScalars {
            _ = absorb()
            if let op = mirror.insert([scalar], at: mirror.count) {
                hub.submit(op)
                hub.setCursor(mirror.id(at: mirror.count - 1))
            }
            usleep(UInt32(1_000_000 / cps))
        }
        // Go only once a peer has acknowledged every edit (the version vectors
        // say what it applied): quitting earlier would lose the ones still queued.
        // (WEAVE_BOT_PATIENCE, seconds, shortens it for tests.)
        let patience = ProcessInfo.processInfo.environment["WEAVE_BOT_PATIENCE"].flatMap(Double.init) ?? 30
        let acknowledged = Date().addingTimeInterval(patience)
        var delivery = (try? hub.currentDelivery()) ?? Delivery(own: 1, acknowledged: 0)
        while delivery.pending > 0 && Date() < acknowledged {
            usleep(20_000)
            _ = absorb()
            delivery = (try? hub.currentDelivery()) ?? delivery
        }
        _ = absorb()
        do { _ = try hub.shutdown() } catch {}
        guard delivery.pending == 0 else {
            fail("\(delivery.pending) of \(delivery.own) edits not acknowledged by a peer within \(Int(patience)) s")
        }
        print("done: the shared document has \(mirror.count) characters; all \(delivery.own) edits acknowledged")

    }
}
