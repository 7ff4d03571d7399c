import Foundation
import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveEditor
@testable import WeaveSession

/// Issue 28, defect 5: following a peer into another file did nothing while
/// the peer's cursor stayed at Ln 1, Col 1 (its cursor "did not move": the
/// place followed was the cursor alone, not the file and the cursor).
@Suite(.serialized) struct FollowIntoFileTests {
    @Test func followingAPeerIntoAnotherFileAtItsStart() throws {
        let dir = try TempDir()
        let (alice, bob) = try WorkspaceSessionTests.pair(dir, files: ["a.txt": "alpha\n", "b.txt": "bravo\n"], aliceOpens: "a.txt", bobOpens: "a.txt")
        defer { WorkspaceSessionTests.shutdown(alice, bob) }
        let links = [alice.link, bob.link]
        bob.session.press(.resize(width: 100, height: 20))
        #expect(pumpLinks(links) { bob.link.presences.values.contains { $0.name == "alice" } })
        // Bob follows alice (F4, f on her row).
        bob.session.press(.function(4))
        bob.session.press(.char("f"))
        #expect(pumpLinks(links) { bob.session.editor.peersStatus.hasPrefix("following alice") })
        // Alice opens b.txt and does not move: her cursor is at Ln 1, Col 1 there too.
        let b = try #require(alice.folder.state.document(at: "b.txt"))
        try alice.workspace.open(b)
        #expect(pumpLinks(links) { bob.workspace.current == b }, "bob is taken into b.txt")
        #expect(bob.session.editor.text == "bravo\n")
    }
}
