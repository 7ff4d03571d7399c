import Foundation
import Testing
import WeaveCore
import WeavePeer
import WeaveTestSupport
@testable import WeaveEditor
@testable import WeaveSession

@Test func peerNamesAreDrawnWithoutControlCharacters() {
    #expect(PeerLink.display("eve\u{1B}]0;owned\u{7}") == "eve?]0;owned?")
    #expect(PeerLink.display("") == "?")
    #expect(PeerLink.display("zoë 日本") == "zoë 日本")
}

/// PeerLink between two sessions over real loopback sockets (no terminal):
/// typing, presence, the peer list, F6 offline with queued edits, convergence.
@Suite(.serialized) struct PeerLinkTests {
    /// Applies inbox events on both sides until `done` or the deadline.
    func pump(_ links: [PeerLink], seconds: Double = 10, until done: () -> Bool) -> Bool {
        pumpLinks(links, seconds: seconds, until: done)
    }

    @Test func twoSessionsEditLiveGoOfflineAndConverge() throws {
        let dir = try TempDir()
        let file = dir.path + "/shared.txt"
        try "hello\n".write(toFile: file, atomically: false, encoding: .utf8)
        let hostSession = try EditorSession(path: file, author: "alice")
        let hostInbox = try PeerInbox()
        let hostHub = PeerLink.makeHub(document: hostSession.editor.doc.rga,
                                       configuration: .init(name: "alice", colour: 0), inbox: hostInbox)
        defer { _ = try? hostHub.shutdown() }
        let port = try hostHub.listen(host: "127.0.0.1", port: 0).port!
        let host = PeerLink(session: hostSession, hub: hostHub, inbox: hostInbox)
        host.attach()

        let joinInbox = try PeerInbox()
        let replica = ReplicaID.random()
        let joinHub = PeerLink.makeHub(document: RGA(replica: replica), configuration: .init(name: "bob", colour: 1), inbox: joinInbox)
        defer { _ = try? joinHub.shutdown() }
        let joinSession = try EditorSession(memory: "[join]", document: RGA(replica: replica), saveRefusal: "no file")
        let join = PeerLink(session: joinSession, hub: joinHub, inbox: joinInbox)
        join.dialsOut = true
        join.attach()
        #expect(joinSession.editor.peersStatus == "connecting…")
        joinHub.connect(host: "127.0.0.1", port: port)
        #expect(pump([host, join]) { joinSession.editor.text == "hello\n" && !host.connected.isEmpty })
        #expect(joinSession.editor.peersStatus == "online")
        #expect(joinSession.editor.peerBadges.map(\.name) == ["alice"])
        #expect(hostSession.editor.message?.contains("bob joined") == true)

        // Typing on each side appears on the other; the cursor travels too.
        for c in "bob: " { joinSession.press(.char(c.unicodeScalars.first!)) }
        #expect(pump([host, join]) { hostSession.editor.text == "bob: hello\n" })
        #expect(pump([host, join]) { host.presences.values.first?.cursor != nil })
        #expect(hostSession.editor.render().lines[0].contains("bob"), "bob's cursor and name on alice's screen")
        hostSession.press(.ctrlEnd)
        for c in "end" { hostSession.press(.char(c.unicodeScalars.first!)) }
        #expect(pump([host, join]) { joinSession.editor.text == "bob: hello\nend" })

        // Ctrl-S without a file explains; the peer list shows the host.
        joinSession.press(.ctrl("s"))
        #expect(joinSession.editor.message == "Not saved: no file")
        joinSession.press(.function(4))
        let list = try #require(joinSession.editor.peerList)
        #expect(list.rows.first?.name == "alice")
        #expect(list.rows.first?.state == "connected")
        joinSession.press(.escape)
        #expect(joinSession.editor.peerList == nil)

        // F6: offline; both edit the same line; the joiner counts its queued edits.
        joinSession.press(.function(6))
        #expect(pump([host, join]) { host.connected.isEmpty })
        joinSession.press(.ctrlHome)
        joinSession.press(.end)
        for c in "!!" { joinSession.press(.char(c.unicodeScalars.first!)) }
        join.refresh()
        #expect(joinSession.editor.peersStatus == "offline — 2 edits queued")
        hostSession.press(.ctrlHome)
        for c in "> " { hostSession.press(.char(c.unicodeScalars.first!)) }
        // No link exists (the host lists no connection), so nothing can cross.
        #expect(host.connected.isEmpty && !join.online)
        #expect(hostSession.editor.text == "> bob: hello\nend")
        #expect(joinSession.editor.text == "bob: hello!!\nend")
        joinSession.press(.function(6))
        #expect(pump([host, join]) {
            hostSession.editor.text == "> bob: hello!!\nend" && joinSession.editor.text == hostSession.editor.text
        })
        #expect(pump([host, join]) { joinSession.editor.peersStatus == "online" })
        try hostSession.editor.checkInvariants()
        try joinSession.editor.checkInvariants()
    }

    /// `weave join`'s order: the document is received (its events taken from
    /// the inbox), then the session is made and the link attached with those
    /// events. When every event came before that (a joiner slow under load, a
    /// host quiet after the catch-up), nothing else wakes the session: its
    /// first frame must already say who is connected (it said "connecting…"
    /// while connected, CI issue 20).
    @Test func joinerAttachedAfterEveryEventShowsTheHostAtOnce() throws {
        let hostInbox = try PeerInbox()
        let hostHub = PeerLink.makeHub(document: RGA(replica: .random()), configuration: .init(name: "alice", colour: 0), inbox: hostInbox)
        defer { _ = try? hostHub.shutdown() }
        let port = try hostHub.listen(host: "127.0.0.1", port: 0).port!
        let joinInbox = try PeerInbox()
        let replica = ReplicaID.random()
        let joinHub = PeerLink.makeHub(document: RGA(replica: replica), configuration: .init(name: "bob", colour: 1), inbox: joinInbox)
        defer { _ = try? joinHub.shutdown() }
        joinHub.connect(host: "127.0.0.1", port: port)
        var shared = RGA(replica: replica)
        var early: [PeerEvent] = []
        try JoinMerge.receiveDocument(inbox: joinInbox, into: &shared, early: &early, seconds: 10)
        // The host's presence as well: no event is left to wake the session.
        func hasHostPresence() -> Bool {
            early.contains { if case .presence(let p) = $0 { return p.name == "alice" } else { return false } }
        }
        let deadline = Date().addingTimeInterval(10)
        while !hasHostPresence(), Date() < deadline {
            usleep(2000)
            early += joinInbox.drain()
        }
        #expect(hasHostPresence())
        let session = try EditorSession(memory: "[join]", document: shared, saveRefusal: "no file")
        let link = PeerLink(session: session, hub: joinHub, inbox: joinInbox)
        link.dialsOut = true
        link.attach(replaying: early)
        #expect(joinInbox.count == 0)
        #expect(session.editor.peersStatus == "online")
        #expect(session.editor.peerBadges.map(\.name) == ["alice"])
        let frame = session.editor.render(size: .init(width: 80, height: 10)).lines
        #expect(frame.contains { $0.contains("alice online") }, "the first frame: \(frame)")
    }

    /// In the peer list, Enter goes to the selected peer's cursor; f follows it
    /// (the status line says so) until a key is pressed, which then acts.
    @Test func goToAndFollowAPeer() throws {
        let dir = try TempDir()
        let file = dir.path + "/shared.txt"
        try (0 ..< 60).map { "line \($0)" }.joined(separator: "\n").write(toFile: file, atomically: false, encoding: .utf8)
        let (alice, port) = try SessionPeer.host(file)
        defer { alice.shutdown() }
        let (host, hostSession, hostHub) = (alice.link, alice.session, alice.hub)
        let bob = try SessionPeer.memoryJoiner(port: port)
        defer { bob.shutdown() }
        let (join, joinSession) = (bob.link, bob.session)
        hostSession.press(.resize(width: 80, height: 12))
        joinSession.press(.resize(width: 80, height: 12))
        #expect(pump([host, join]) { joinSession.editor.text == hostSession.editor.text && !join.presences.isEmpty })

        // Alice goes to line 40; bob goes to her cursor from the peer list.
        for _ in 0 ..< 40 { hostSession.press(.down) }
        let line40 = hostSession.editor.cursor
        #expect(pump([host, join]) { join.presences.values.first?.cursor == hostSession.editor.doc.rga.cursorElement(at: line40) })
        joinSession.press(.function(4))
        #expect(joinSession.editor.peerList?.selected == 0)
        #expect(joinSession.editor.render().lines[2].contains("alice"))
        joinSession.press(.enter)
        #expect(joinSession.editor.peerList == nil)
        #expect(joinSession.editor.cursor == line40)
        #expect(joinSession.editor.render().lines.contains { $0.hasPrefix("line 40") }, "scrolled to her")

        // f: follows her as she moves.
        joinSession.press(.ctrlHome)
        joinSession.press(.function(4))
        joinSession.press(.char("f"))
        #expect(join.following == hostHub.replica)
        #expect(joinSession.editor.peersStatus.hasPrefix("following alice"))
        for _ in 0 ..< 10 { hostSession.press(.down) }
        let line50 = hostSession.editor.cursor
        #expect(pump([host, join]) { joinSession.editor.cursor == line50 }, "bob's view tracks alice")
        // A key stops following, and acts: Down moves on from her line.
        joinSession.press(.down)
        #expect(join.following == nil)
        #expect(joinSession.editor.lineAndColumn.line == 51)
        #expect(joinSession.editor.message == "Stopped following alice")
        for _ in 0 ..< 3 { hostSession.press(.up) }
        let line47 = hostSession.editor.doc.rga.cursorElement(at: hostSession.editor.cursor)
        #expect(pump([host, join]) { join.presences.values.first?.cursor == line47 }, "her move arrived")
        #expect(joinSession.editor.lineAndColumn.line == 51, "no longer tracked")
    }

    /// A peer's selection travels with its cursor and is drawn on the other
    /// side underlined in that peer's colour (and goes when it is cancelled).
    @Test func aPeersSelectionIsDrawnInItsColour() throws {
        let dir = try TempDir()
        let file = dir.path + "/shared.txt"
        try "hello world\n".write(toFile: file, atomically: false, encoding: .utf8)
        let (alice, port) = try SessionPeer.host(file)
        defer { alice.shutdown() }
        let (host, hostSession) = (alice.link, alice.session)
        let bob = try SessionPeer.memoryJoiner(port: port)
        defer { bob.shutdown() }
        let (join, joinSession) = (bob.link, bob.session)
        #expect(pump([host, join]) { joinSession.editor.text == "hello world\n" })
        // Bob selects "world" (Shift+Right from column 6).
        for _ in 0 ..< 6 { joinSession.press(.right) }
        for _ in 0 ..< 5 { joinSession.press(.shift(.right)) }
        #expect(joinSession.editor.selection == 6 ..< 11)
        let bobColour = Grid.Colour.author(1).rawValue
        func underlined() -> [Int] {
            let row = hostSession.editor.render(size: .init(width: 40, height: 6)).rows[0]
            return row.indices.filter { row[$0].attributes.contains(.underline) && row[$0].colour == bobColour }
        }
        #expect(pump([host, join]) { underlined() == Array(6 ..< 11) }, "alice sees bob's selection: \(underlined())")
        // Esc cancels it there too.
        joinSession.press(.escape)
        #expect(pump([host, join]) { underlined().isEmpty })
    }

    /// Ctrl-C in the host's peer list copies the whole join command: Ctrl-V
    /// pastes it (the message says how to reach the terminal's clipboard).
    @Test func ctrlCInThePeerListCopiesTheJoinCommand() throws {
        let dir = try TempDir()
        let file = dir.path + "/shared.txt"
        let session = try EditorSession(path: file, author: "alice")
        let inbox = try PeerInbox()
        let hub = PeerLink.makeHub(document: session.editor.doc.rga, configuration: .init(name: "alice", colour: 0), inbox: inbox)
        defer { _ = try? hub.shutdown() }
        let link = PeerLink(session: session, hub: hub, inbox: inbox)
        let command = "weave join 127.0.0.1:7070 --invite wv1-" + String(repeating: "x", count: 90)
        link.joinCommand = command
        link.attach()
        session.press(.function(4))
        #expect(session.editor.peerList?.footer.last == command, "on a line of its own")
        session.press(.ctrl("c"))
        #expect(session.editor.message?.hasPrefix("Join command copied") == true)
        session.press(.escape)
        #expect(session.editor.peerList == nil)
        session.press(.ctrl("v"))
        #expect(session.editor.text == command)
    }
}
