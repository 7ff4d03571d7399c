import Foundation
import Testing
import WeaveCore
import WeavePeer
import WeaveTestSupport
@testable import WeaveEditor
@testable import WeaveSession

/// The mouse in the peer list through the session (issue 33): `PeerLink`
/// takes mouse events while the list is shown, as it takes its keys. Two
/// joiners on one host, over real loopback sockets.
@Suite(.serialized) struct PeerListMouseSessionTests {
    @Test func aClickSelectsAClickOnTheSelectedRowGoesThereAndTheWheelScrolls() throws {
        let dir = try TempDir()
        let file = dir.path + "/shared.txt"
        try (0 ..< 40).map { "line \($0)" }.joined(separator: "\n").write(toFile: file, atomically: false, encoding: .utf8)
        let (alice, port) = try SessionPeer.host(file)
        defer { alice.shutdown() }
        let bob = try SessionPeer.memoryJoiner(port: port)
        defer { bob.shutdown() }
        let carol = try SessionPeer.memoryJoiner(port: port, name: "carol", colour: 2)
        defer { carol.shutdown() }
        let links = [alice.link, bob.link, carol.link]
        let session = alice.session
        session.press(.resize(width: 80, height: 24))
        #expect(pumpLinks(links) { alice.link.presences.count == 2 && carol.session.editor.text == session.editor.text })

        // Carol goes to line 30.
        for _ in 0 ..< 30 { carol.session.press(.down) }
        let line30 = carol.session.editor.cursor
        let element = carol.session.editor.doc.rga.cursorElement(at: line30)
        #expect(pumpLinks(links) { alice.link.presences[carol.hub.replica]?.cursor == element })

        session.press(.function(4))
        let rows = try #require(session.editor.peerList?.rows)
        let carolRow = try #require(rows.firstIndex { $0.name == "carol" })
        let y = 2 + carolRow
        #expect(session.editor.render().lines[y].hasPrefix("carol"))
        // A click on carol's row selects it; the list stays.
        if session.editor.peerList?.selected == carolRow { session.press(.down) }  // two rows: Down moves off hers
        #expect(session.editor.peerList?.selected != carolRow)
        session.press(.click(x: 3, y: y))
        #expect(session.editor.peerList?.selected == carolRow)
        #expect(session.editor.cursor == 0, "selecting does not move the cursor")
        // A click on the selected row goes to carol's cursor, as Enter does; the
        // double click the same clicks make next is not for the text.
        session.press(.click(x: 3, y: y))
        #expect(session.editor.peerList == nil)
        #expect(session.editor.cursor == line30)
        session.press(.doubleClick(x: 3, y: y))
        #expect(session.editor.selection == nil, "no word selected under the closed list")
        #expect(session.editor.cursor == line30)

        // 5 text rows: the title, the labels and 1 row; the wheel scrolls to the next.
        session.press(.resize(width: 80, height: 5))
        session.press(.function(4))
        if session.editor.peerList?.selected != 0 { session.press(.down) }  // two rows: Down wraps to the first
        var screen = try #require(session.editor.peerListScreen)
        #expect(screen.rowsShown == 1 && screen.top == 0)
        session.press(.wheel(1))
        screen = try #require(session.editor.peerListScreen)
        #expect(screen.top == 1 && session.editor.peerList?.selected == 1)
        #expect(session.editor.render().lines[2].hasPrefix(rows[1].name))
        alice.link.refresh()
        #expect(session.editor.peerListScreen?.top == 1, "a refresh keeps the scroll")
        session.press(.wheel(-3))
        #expect(session.editor.peerListScreen?.top == 0 && session.editor.peerList?.selected == 0)
        #expect(session.editor.peerList != nil, "the wheel keeps the list open")
    }
}
