import Foundation
import Testing
import WeaveCore
import WeaveEditor
import WeavePeer
import WeaveTestSupport
@testable import WeaveSession

/// Issue 28, defect 4: through a relay (`weave serve`), F4 and the status line
/// listed only the relay: the other person could not be seen, jumped to or followed.
@Suite struct RelayedPresenceTests {
    @Test func peersBehindARelayAreListedWithTheirFileAndCanBeReached() throws {
        // The relay: a headless hub, as `weave serve FILE` runs one.
        var text = RGA(replica: ReplicaID(0x5E))
        _ = text.insert((0 ..< 30).map { "line \($0)" }.joined(separator: "\n"), at: 0)
        let relay = PeerHub(document: text, configuration: .init(name: "serve"), onEvent: nil)
        defer { _ = try? relay.shutdown() }
        let port = try relay.listen(host: "127.0.0.1", port: 0).port!
        let ann = try SessionPeer.memoryJoiner(port: port, name: "ann", colour: 1)
        defer { ann.shutdown() }
        let ben = try SessionPeer.memoryJoiner(port: port, name: "ben", colour: 2)
        defer { ben.shutdown() }
        ann.session.press(.resize(width: 100, height: 20))
        ben.session.press(.resize(width: 100, height: 20))
        #expect(pumpLinks([ann.link, ben.link]) { ann.session.editor.text == ben.session.editor.text && !ann.session.editor.text.isEmpty })
        for _ in 0 ..< 12 { ben.session.press(.down) }
        // Each Down may send a cursor: wait for the last one, not the first.
        #expect(pumpLinks([ann.link, ben.link]) {
            ann.link.presences.values.contains { $0.name == "ben" && $0.cursor != nil }
                && ann.session.editor.remoteCursors.contains {
                    $0.name == "ben" && ann.session.editor.doc.rga.cursorIndex(after: $0.after) == ben.session.editor.cursor
                }
        }, "ben's latest cursor reaches ann through the relay")
        // The status line names ben beside the relay.
        #expect(Set(ann.session.editor.peerBadges.map(\.name)) == ["serve", "ben"])
        // F4 lists him, relayed, and Enter goes to his cursor.
        ann.session.press(.function(4))
        let list = try #require(ann.session.editor.peerList)
        let row = try #require(list.rows.firstIndex { $0.name == "ben" }, "ben is in the peer list")
        #expect(list.rows[row].state == "relayed")
        #expect(list.rows[row].address == "via serve")
        for _ in 0 ..< row { ann.session.press(.down) }
        ann.session.press(.enter)
        #expect(ann.session.editor.cursor == ben.session.editor.cursor)
    }
}
