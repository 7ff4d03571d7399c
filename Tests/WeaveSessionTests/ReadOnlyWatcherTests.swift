import Foundation
import Testing
import WeaveCore
import WeavePeer
import WeaveTestSupport
@testable import WeaveEditor
@testable import WeaveSession

/// A joiner admitted by a read-only invitation, over real loopback TLS: it
/// learns so from the host's Accept, refuses every edit locally (the document
/// never changes), keeps the link, keeps receiving the host's typing, and
/// still time-travels (F2) without a file.
@Suite(.serialized) struct ReadOnlyWatcherTests {
    static let hostIdentity = try! PeerIdentity.generate(name: "host")
    static let joinerIdentity = try! PeerIdentity.generate(name: "watcher")

    func pump(_ links: [PeerLink], seconds: Double = 10, until done: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            for l in links { for e in l.inbox.drain() { l.handle(e) }; l.refresh() }
            if done() { return true }
            usleep(2000)
        }
        return false
    }

    @Test func watcherRefusesEditsLocallyKeepsTheLinkAndKeepsReceiving() throws {
        let dir = try TempDir()
        let file = dir.path + "/shared.txt"
        try "hello\n".write(toFile: file, atomically: false, encoding: .utf8)
        let hostSession = try EditorSession(path: file, author: "alice")
        let hostInbox = try PeerInbox()
        let invitation = Invitation.make(for: Self.hostIdentity, readOnly: true)
        var hostConfig = PeerHub.Configuration(name: "alice", colour: 0)
        hostConfig.security = PeerSecurity(identity: Self.hostIdentity, invitations: InvitationBook([invitation]))
        let hostHub = PeerLink.makeHub(document: hostSession.editor.doc.rga, configuration: hostConfig, inbox: hostInbox)
        defer { _ = try? hostHub.shutdown() }
        let port = try hostHub.listen(host: "127.0.0.1", port: 0).port!
        let host = PeerLink(session: hostSession, hub: hostHub, inbox: hostInbox)
        host.attach()

        let joinInbox = try PeerInbox()
        let replica = ReplicaID.random()
        var joinConfig = PeerHub.Configuration(name: "bob", colour: 1)
        joinConfig.security = PeerSecurity(identity: Self.joinerIdentity)
        let joinHub = PeerLink.makeHub(document: RGA(replica: replica), configuration: joinConfig, inbox: joinInbox)
        defer { _ = try? joinHub.shutdown() }
        let joinSession = try EditorSession(memory: "[join]", document: RGA(replica: replica), saveRefusal: "no file")
        let join = PeerLink(session: joinSession, hub: joinHub, inbox: joinInbox)
        join.dialsOut = true
        join.attach()
        // Not told by the token here: the host's Accept says it.
        joinHub.connect(host: "127.0.0.1", port: port, invitation: invitation)
        #expect(pump([host, join]) { joinSession.editor.text == "hello\n" && !host.connected.isEmpty })
        #expect(joinSession.editor.readOnly == PeerLink.readOnlyReason)
        #expect(host.connected.values.first?.readOnly == true)

        // Every editing key is refused with the reason; the document never changes.
        for key: Key in [.char("x"), .enter, .backspace, .delete, .paste("pasted"), .ctrl("k"), .ctrl("u"), .ctrl("z"), .ctrl("s")] {
            joinSession.press(key)
            #expect(joinSession.editor.text == "hello\n", "\(key)")
            #expect(joinSession.editor.message?.hasPrefix("Read-only: read-only invitation") == true, "\(key): \(String(describing: joinSession.editor.message))")
        }
        let frame = joinSession.editor.render(size: .init(width: 80, height: 10)).lines.joined(separator: "\n")
        #expect(frame.contains("[read-only]"), "\(frame)")
        // Moving still works; the link is still up and the host's typing arrives.
        joinSession.press(.end)
        #expect(joinSession.editor.cursor == 5)
        hostSession.press(.ctrlEnd)
        for c in "more" { hostSession.press(.char(c.unicodeScalars.first!)) }
        #expect(pump([host, join]) { joinSession.editor.text == "hello\nmore" })
        #expect(joinSession.editor.peersStatus == "online")
        #expect(join.linkStopped == nil)

        // Defence in depth: edits that reach the hub anyway are declined by the
        // host, the watcher is told, and the link stays.
        var sneaky = try joinHub.snapshot()
        joinHub.submit(sneaky.insert("!", at: 0)!)
        #expect(pump([host, join]) { joinSession.editor.message?.contains("did not take 1 edit") == true })
        #expect(hostSession.editor.text == "hello\nmore")
        hostSession.press(.char("!"))
        #expect(pump([host, join]) { joinSession.editor.text == "hello\nmore!" })
        #expect(join.linkStopped == nil && !join.connected.isEmpty)

        // F2 without a file: time travel over what this run saw.
        joinSession.press(.function(2))
        let pane = try #require(joinSession.editor.pane)
        _ = pane
        #expect(join.memoryHistory.map { $0.edits.count >= 3 } == true)
        joinSession.press(.left)
        #expect(joinSession.editor.text == "hello\nmore!", "stepping back does not change the document")
        joinSession.press(.escape)
        #expect(joinSession.editor.pane == nil)
    }

    /// The token itself says read-only: the editor refuses edits before the host answers (offline too).
    @Test func aReadOnlyTokenMakesTheSessionReadOnlyAtOnce() throws {
        let invitation = Invitation.make(for: Self.hostIdentity, readOnly: true)
        #expect(Invitation(token: invitation.token)?.readOnly == true)
        let inbox = try PeerInbox()
        let hub = PeerLink.makeHub(document: RGA(replica: .random()), configuration: .init(name: "bob", colour: 1), inbox: inbox)
        defer { _ = try? hub.shutdown() }
        let session = try EditorSession(memory: "[join]", document: RGA(replica: hub.replica), saveRefusal: "no file")
        let link = PeerLink(session: session, hub: hub, inbox: inbox)
        link.becomeReadOnly()
        link.attach()
        session.press(.char("a"))
        #expect(session.editor.text == "")
        #expect(session.editor.message == "Read-only: read-only invitation. Nothing was changed")
    }
}

/// `weave revoke` in another shell while the host runs: its F4 list stops
/// showing the join command it printed at start, and says what to do instead.
@Test func theHostsPeerListDropsARevokedJoinCommand() throws {
    let dir = try TempDir()
    let file = dir.path + "/shared.txt"
    try "hello\n".write(toFile: file, atomically: false, encoding: .utf8)
    let session = try EditorSession(path: file, author: "alice")
    let inbox = try PeerInbox()
    let identity = try PeerIdentity.generate(name: "host")
    let invitation = Invitation.make(for: identity)
    let book = InvitationBook([invitation])
    var config = PeerHub.Configuration(name: "alice", colour: 0)
    config.security = PeerSecurity(identity: identity, invitations: book)
    let hub = PeerLink.makeHub(document: session.editor.doc.rga, configuration: config, inbox: inbox)
    defer { _ = try? hub.shutdown() }
    let link = PeerLink(session: session, hub: hub, inbox: inbox)
    link.joinCommand = "weave join 127.0.0.1:7070 --invite \(invitation.token)"
    link.joinInvitation = invitation
    link.attach()
    session.press(.function(4))
    #expect(session.editor.peerList?.footer.joined().contains(invitation.token) == true)
    session.press(.escape)
    book.revoke(invitation)  // what the hub's refresh makes of `weave revoke` in another shell
    session.press(.function(4))
    let footer = try #require(session.editor.peerList?.footer).joined(separator: "\n")
    #expect(!footer.contains(invitation.token), "\(footer)")
    #expect(footer.contains("no longer works (the invitation was revoked)") && footer.contains("weave invite FILE"), "\(footer)")
}
