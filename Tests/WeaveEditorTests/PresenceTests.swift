import Foundation
import Testing
import WeaveCore
@testable import WeaveEditor

/// Presence on the pure model: remote cursors, status badges, the peer list.
@Suite struct PresenceRenderTests {
    func editor(_ text: String) -> Editor {
        var e = Editor(fileName: "p.txt", text: text, replica: ReplicaID(1))
        _ = e.handle(.resize(width: 40, height: 8))
        return e
    }

    @Test func remoteCursorIsDrawnInColourWithNameAfterTheRow() throws {
        var e = editor("hello world\nsecond")
        e.remoteCursors = [RemoteCursor(name: "bob", colour: .magenta, after: e.doc.rga.id(at: 4))]
        let g = e.render()
        #expect(g.lines[0] == "hello world bob")
        #expect(g.rows[0][5].colour == Grid.Colour.magenta.rawValue)
        #expect(g.rows[0][5].attributes.contains(.reverse))
        #expect(g.rows[0][12].colour == Grid.Colour.magenta.rawValue, "the name is in the peer's colour")
        #expect(g.rows[0][4].colour == 0)
        #expect(g.lines[1] == "second")
    }

    @Test func remoteCursorStaysOnItsCharacterWhenOthersEdit() throws {
        var e = editor("hello world")
        let anchor = e.doc.rga.id(at: 6)  // "w": the cursor sits before "o" of "world"? no: after "w"
        e.remoteCursors = [RemoteCursor(name: "bob", colour: .green, after: anchor)]
        #expect(e.render().rows[0][7].colour == Grid.Colour.green.rawValue)
        // Another replica inserts two characters at the start.
        var other = RGA(replica: ReplicaID(9))
        try other.receive(contentsOf: e.doc.rga.operations(since: other.version))
        let op = other.insert(["X", "Y"], at: 0)!
        try e.receive(op)
        let g = e.render()
        #expect(g.lines[0].hasPrefix("XYhello world"))
        #expect(g.rows[0][9].colour == Grid.Colour.green.rawValue, "still just after the w")
        #expect(g.rows[0][7].colour == 0)
        // The element before it deleted: the cursor lands on the next visible place.
        let del = other.delete(at: 8, length: 1)!  // the "w"
        try e.receive(del)
        #expect(e.render().rows[0][8].colour == Grid.Colour.green.rawValue)
    }

    @Test func cursorAtStartAndUnknownElement() {
        var e = editor("abc\n")
        e.remoteCursors = [RemoteCursor(name: "zed", colour: .cyan, after: nil),
                           RemoteCursor(name: "ghost", colour: .red, after: ElementID(counter: 3, replica: ReplicaID(55)))]
        let g = e.render()
        #expect(g.rows[0][0].colour == Grid.Colour.cyan.rawValue)
        #expect(g.lines[0] == "abc zed")
        #expect(!g.lines.joined().contains("ghost"), "an element not known yet is not drawn")
    }

    @Test func cursorOnEmptyLineAndAtEnd() {
        var e = editor("ab\n\ncd")
        let n = e.doc.rga.count
        e.remoteCursors = [RemoteCursor(name: "end", colour: .yellow, after: e.doc.rga.id(at: n - 1)),
                           RemoteCursor(name: "mid", colour: .blue, after: e.doc.rga.id(at: 2))]
        let g = e.render()
        #expect(g.lines[1] == "  mid")
        #expect(g.rows[1][0].colour == Grid.Colour.blue.rawValue)
        #expect(g.lines[2] == "cd  end")
        #expect(g.rows[2][2].colour == Grid.Colour.yellow.rawValue)
    }

    @Test func statusLineShowsPeerNamesInColour() throws {
        var e = editor("x")
        _ = e.handle(.resize(width: 60, height: 8))
        e.peerBadges = [PeerBadge(name: "alice", colour: .cyan), PeerBadge(name: "bob", colour: .magenta)]
        e.peersStatus = "online"
        let g = e.render()
        let status = g.lines[6]
        #expect(status.contains("alice bob online  Ln 1, Col 1"))
        let x = try #require(status.range(of: "alice")).lowerBound.utf16Offset(in: status)
        #expect(g.rows[6][x].colour == Grid.Colour.cyan.rawValue)
        #expect(g.rows[6][x + 6].colour == Grid.Colour.magenta.rawValue)
        #expect(g.rows[6][x + 10].colour == 0, "the link state is not coloured")
    }

    @Test func peerListShowsHealthAndClosesOnAnyKeyViaTheHost() {
        var e = editor("text")
        e.peerList = PeerList(title: "me (online)", rows: [
            .init(name: "bob", colour: .magenta, state: "connected", address: "127.0.0.1:5000",
                  rttMilliseconds: 1.25, lastHeardSeconds: 3.4, opsSent: 12, opsReceived: 7, opsQueued: 0, unacknowledged: 7, behind: 12),
            .init(name: "(127.0.0.1:7070)", colour: .cyan, state: "offline", address: "127.0.0.1:7070",
                  rttMilliseconds: nil, lastHeardSeconds: nil, opsSent: 0, opsReceived: 0, opsQueued: 5, behind: 5),
        ])
        _ = e.handle(.resize(width: 100, height: 10))
        let g = e.render()
        #expect(g.lines[0].hasPrefix("Peers — me (online)"))
        #expect(g.lines[1] == "name             state         rtt   heard queued unacked behind  address")
        #expect(g.lines[2].hasPrefix("bob"))
        #expect(g.lines[2].contains("connected") && g.lines[2].contains("1.3 ms") && g.lines[2].contains("3s ago"))
        #expect(g.lines[2].contains("12") && g.lines[2].contains("7"))
        #expect(g.rows[2][0].colour == Grid.Colour.magenta.rawValue)
        #expect(g.lines[3] == "(127.0.0.1:7070) offline         —       —      5       0      5  127.0.0.1:7070")
        #expect(!g.lines.contains("text"), "the list replaces the text rows")
        #expect(g.cursor == nil)
    }

    @Test func peerListFooterWrapsTheJoinCommandAtTheWidth() {
        var e = editor("text")
        let command = "weave join 127.0.0.1:7070 --invite wv1-" + String(repeating: "x", count: 60)
        e.peerList = PeerList(title: "me (online)", rows: [], footer: ["Others join with:", command])
        _ = e.handle(.resize(width: 40, height: 12))
        let lines = e.render().lines
        guard let start = lines.firstIndex(of: "Others join with:") else { Issue.record("\(lines)"); return }
        let wrapped = lines[(start + 1)...].prefix { !$0.isEmpty && !$0.contains("[saved]") }
        #expect(wrapped.joined() == command, "the whole command, cut at the width only")
        #expect(wrapped.allSatisfy { $0.count <= 40 })
    }

    @Test func questionTakesTheMessageLineUntilCleared() {
        var e = editor("text")
        e.notify("bob joined")
        e.question = "bob (127.0.0.1:5000, key 1a2b3c4d) wants to join. Let in? y/n"
        var g = e.render()
        #expect(g.lines[7].hasPrefix("bob (127.0.0.1:5000, key 1a2b3c4d) want"))
        #expect(g.rows[7][0].attributes.contains(.reverse))
        #expect(g.cursor?.y == 7, "the cursor waits on the question")
        e.question = nil
        g = e.render()
        #expect(g.lines[7] == "bob joined")
    }
}

@Suite struct PeerHelpTests {
    /// F3 finds next everywhere; with peers, F6/F4 drive the link and the help
    /// screen says so.
    @Test func helpListsTheKeysThatApply() {
        var alone = Editor(fileName: "a.txt", text: "x")
        _ = alone.handle(.function(1))
        #expect(alone.render().lines.contains { $0.contains("F3  Shift-F3") && $0.contains("find next / previous") })
        var shared = Editor(fileName: "a.txt", text: "x")
        shared.peersStatus = "online"
        _ = shared.handle(.function(1))
        let lines = shared.render().lines
        #expect(lines.contains { $0.contains("F6  F4  Ctrl-P") && $0.contains("offline/online") && $0.contains("click/Enter go") })
        #expect(lines.contains { $0.contains("F3  Shift-F3") && $0.contains("find next / previous") })
        #expect(Help.lines(peers: true).allSatisfy { $0.count <= 80 }, "every help line fits 80 columns (it scrolls)")
    }
}
