import Foundation
import Testing
import WeaveCore
@testable import WeavePeer
import WeaveTestSupport
@testable import WeaveEditor
@testable import WeaveSession

/// Issue 28, defect 11: a join showed no progress, and called a file
/// "[saved]" before its text had arrived.
@Suite(.serialized) struct ArrivalStatusTests {
    @Test func theStatusLineCountsFilesDownAndTheShownFileIsArrivingUntilItsTextIsHere() throws {
        let dir = try TempDir()
        let mirror = dir.path + "/mirror"
        var files: [String: String] = [:]
        for i in 0 ..< 12 { files["f\(i).txt"] = "file \(i)\n" }
        let (alice, bob) = try WorkspaceSessionTests.pair(dir, files: files, bobOpens: "f0.txt")
        defer { WorkspaceSessionTests.shutdown(alice, bob) }
        // Every file arrives: the count ends, and nothing is said once it has.
        #expect(pumpLinks([alice.link, bob.link]) { bob.workspace.arriving.isEmpty })
        #expect(bob.workspace.arrivalStatus == nil)
        #expect(!bob.session.editor.peersStatus.contains("receiving"))
        #expect(!bob.session.editor.arriving)
        for i in 0 ..< 12 { #expect(WorkspaceSessionTests.read(mirror + "/f\(i).txt") == "file \(i)\n") }

        // While files are still arriving (say three, the one shown among them):
        let f0 = try #require(bob.folder.state.document(at: "f0.txt"))
        let f1 = try #require(bob.folder.state.document(at: "f1.txt"))
        let f2 = try #require(bob.folder.state.document(at: "f2.txt"))
        bob.workspace.awaitArrivals([f0, f1, f2])
        bob.link.refresh()
        #expect(bob.session.editor.peersStatus.hasPrefix("receiving 3 of 3 files"))
        #expect(bob.session.editor.render().lines.contains { $0.contains("[arriving]") && !$0.contains("[saved]") })
        bob.link.handle(.documentCaughtUp(f0))
        bob.link.beforeDraw()  // as the session does before each frame
        #expect(!bob.session.editor.arriving, "the shown file's text is here")
        #expect(bob.session.editor.peersStatus.hasPrefix("receiving 2 of 3 files"))
        bob.link.handle(.documentCaughtUp(f1))
        bob.link.handle(.documentCaughtUp(f2))
        bob.link.beforeDraw()
        #expect(!bob.session.editor.peersStatus.contains("receiving"))
        #expect(bob.session.editor.render().lines.contains { $0.contains("[saved]") })
    }

    /// The host dies before every file arrived: the files still missing are
    /// not called "[saved]" (733 empty files were, when the count was dropped
    /// on the link's loss), the status says they are not received, and the
    /// count goes on when a link is back.
    @Test func filesMissingWhenTheLinkDropsStayArrivingAndTheStatusSaysSo() throws {
        let dir = try TempDir()
        let (alice, bob) = try WorkspaceSessionTests.pair(dir, files: ["a.txt": "a\n", "b.txt": "b\n"], bobOpens: "a.txt")
        defer { WorkspaceSessionTests.shutdown(alice, bob) }
        #expect(pumpLinks([alice.link, bob.link]) { bob.workspace.arriving.isEmpty && !alice.link.presences.isEmpty })
        let a = try #require(bob.folder.state.document(at: "a.txt"))
        let b = try #require(bob.folder.state.document(at: "b.txt"))
        bob.workspace.awaitArrivals([a, b])
        let host = try #require(bob.link.presences.values.first)
        let info = PeerInfo(connection: 1, replica: host.replica, name: host.name, colour: host.colour, address: "127.0.0.1:1", outbound: true)
        bob.link.handle(.peerLeft(info, reason: .io("connection reset by peer")))
        bob.link.beforeDraw()
        #expect(bob.session.editor.peersStatus.hasPrefix("2 of 2 files not received (link down)"), "\(bob.session.editor.peersStatus)")
        #expect(bob.session.editor.arriving, "the shown file's text never came: not [saved]")
        #expect(!bob.session.editor.render().lines.contains { $0.contains("[saved]") })
        // A link again: the catch-ups count down as before.
        bob.link.handle(.peerJoined(info))
        bob.link.handle(.documentCaughtUp(a))
        bob.link.beforeDraw()
        #expect(bob.session.editor.peersStatus.hasPrefix("receiving 1 of 2 files"), "\(bob.session.editor.peersStatus)")
        #expect(!bob.session.editor.arriving)
    }
}
