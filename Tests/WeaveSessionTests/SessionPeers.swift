import Foundation
import WeaveCore
import WeavePeer
import WeaveTestSupport
@testable import WeaveSession

/// Peer sessions for the tests, wired as `weave host` and `weave join` wire
/// them (no terminal), over real loopback sockets. Shut their hubs down with
/// `shutdown()` (a hub must not be shut down twice).
struct SessionPeer {
    let link: PeerLink
    let session: EditorSession
    var hub: PeerHub { link.hub }

    /// `weave host FILE` as `name`: listening on a free loopback port (`port`).
    static func host(_ file: String, name: String = "alice", colour: UInt8 = 0) throws -> (SessionPeer, port: Int) {
        let session = try EditorSession(path: file, author: name)
        let inbox = try PeerInbox()
        let hub = PeerLink.makeHub(document: session.editor.doc.rga, configuration: .init(name: name, colour: colour), inbox: inbox)
        if let store = session.store { hub.addHistory(store.history) }
        let port = try hub.listen(host: "127.0.0.1", port: 0).port!
        let link = PeerLink(session: session, hub: hub, inbox: inbox)
        link.attach()
        return (SessionPeer(link: link, session: session), port)
    }

    /// `weave join 127.0.0.1:PORT` without FILE (in memory) as `name`, dialling now.
    static func memoryJoiner(port: Int, name: String = "bob", colour: UInt8 = 1) throws -> SessionPeer {
        let replica = ReplicaID.random()
        let inbox = try PeerInbox()
        let hub = PeerLink.makeHub(document: RGA(replica: replica), configuration: .init(name: name, colour: colour), inbox: inbox)
        let session = try EditorSession(memory: "[join]", document: RGA(replica: replica), saveRefusal: "no file")
        let link = PeerLink(session: session, hub: hub, inbox: inbox)
        link.dialsOut = true
        link.attach()
        hub.connect(host: "127.0.0.1", port: port)
        return SessionPeer(link: link, session: session)
    }

    func shutdown() { _ = try? hub.shutdown() }
}

/// Applies inbox events on every side until `done` or the deadline. Bounded in time.
func pumpLinks(_ links: [PeerLink], seconds: Double = 15, until done: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        for l in links { for e in l.inbox.drain() { l.handle(e) }; l.refresh() }
        if done() { return true }
        usleep(2000)
    }
    return false
}
