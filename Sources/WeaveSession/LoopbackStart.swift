import WeaveCore
import WeavePeer

/// Replicas in one process linked over loopback TLS: `weave demo`'s start-up,
/// through the same steps as `weave host` and `weave join` (`SessionStart`'s
/// configuration, `PeerLink.makeHub`'s hub whose thread leaves the terminal's
/// signals to the main thread, an invitation checked at the handshake), with a
/// throwaway identity and no files: nothing is written to disk.
public enum LoopbackStart {
    /// One replica's hub and the inbox its events arrive in (poll its
    /// `fileDescriptor`, then `drain()`).
    public struct Replica {
        public let hub: PeerHub
        public let inbox: PeerInbox
    }

    /// One hub per document, named `names[i]` in colour `i`; the first
    /// listens on 127.0.0.1 (any free port) with one invitation, and every
    /// other dials it with that invitation. Returns once every dial has been
    /// started (links come up in the background). Hubs made before a failure
    /// are shut down. Throws `StartFailure`. O(documents).
    public static func replicas(_ documents: [RGA], names: [String]) throws -> [Replica] {
        precondition(documents.count == names.count && !documents.isEmpty, "one name per document")
        let identity: PeerIdentity
        do { identity = try PeerIdentity.generate(name: "weave demo") } catch { throw StartFailure("cannot make the demo's identity: \(error)") }
        let invitation = Invitation.make(for: identity)
        var made: [Replica] = []
        do {
            for (i, doc) in documents.enumerated() {
                var config = try SessionStart.configuration(name: names[i], colour: UInt8(truncatingIfNeeded: i), log: nil)
                if i == 0 { config.security = PeerSecurity(identity: identity, invitations: InvitationBook([invitation])) }
                let inbox: PeerInbox
                do { inbox = try PeerInbox() } catch { throw StartFailure("cannot start the demo: \(error)") }
                made.append(Replica(hub: PeerLink.makeHub(document: doc, configuration: config, inbox: inbox), inbox: inbox))
            }
            let port: Int
            do { port = try made[0].hub.listen(host: "127.0.0.1", port: 0).port ?? 0 } catch {
                throw StartFailure("cannot listen on 127.0.0.1 for the demo: \(error)")
            }
            for r in made.dropFirst() { _ = r.hub.connect(host: "127.0.0.1", port: port, invitation: invitation) }
            return made
        } catch {
            for r in made { _ = try? r.hub.shutdown() }
            throw error
        }
    }
}
