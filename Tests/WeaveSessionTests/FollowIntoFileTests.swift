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
        let shared = dir.path + "/shared", mirror = dir.path + "/mirror"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        try "alpha\n".write(toFile: shared + "/a.txt", atomically: true, encoding: .utf8)
        try "bravo\n".write(toFile: shared + "/b.txt", atomically: true, encoding: .utf8)
        let (alice, port) = try WorkspaceSessionTests.host(shared, open: "a.txt")
        defer { _ = try? alice.hub.shutdown() }
        let bob = try WorkspaceSessionTests.join(mirror + "/", port: port, open: "a.txt")
        defer { _ = try? bob.hub.shutdown() }
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
