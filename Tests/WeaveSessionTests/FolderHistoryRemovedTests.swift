import Foundation
import Testing
import WeaveCore
import WeaveStore
import WeaveTestSupport
@testable import WeaveEditor
@testable import WeaveSession

/// Issue 30, defect 3, in a shared folder: a history removed while its file
/// is open in an editor not shown (or shown) is written again in full from
/// that editor's document at the next flush, and said; before, the flush
/// had no document at hand (the editor holds it) and failed.
@Suite(.serialized) struct FolderHistoryRemovedTests {
    @Test func aRemovedHistoryOfAFileOpenedBeforeIsWrittenAgain() throws {
        let dir = try TempDir()
        let shared = dir.path + "/shared", mirror = dir.path + "/mirror"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        try "alpha\n".write(toFile: shared + "/a.txt", atomically: true, encoding: .utf8)
        try "bravo\n".write(toFile: shared + "/b.txt", atomically: true, encoding: .utf8)
        let (alice, port) = try WorkspaceSessionTests.host(shared, open: "a.txt")
        defer { _ = try? alice.hub.shutdown() }
        let bob = try WorkspaceSessionTests.join(mirror + "/", port: port, open: "b.txt")
        defer { _ = try? bob.hub.shutdown() }
        let links = [alice.link, bob.link]
        // Alice opens b.txt and goes back: its editor is kept, holding the document.
        try alice.workspace.open(try #require(alice.folder.state.document(at: "b.txt")))
        try alice.workspace.open(try #require(alice.folder.state.document(at: "a.txt")))
        unlink(shared + "/.b.txt.weave")
        for c in "hi ".unicodeScalars { bob.session.press(.char(c)) }
        #expect(pumpLinks(links) { WorkspaceSessionTests.read(shared + "/b.txt") == "hi bravo\n" })
        let loaded = try OpLog.load(path: shared + "/.b.txt.weave")
        #expect(try loaded.document(as: ReplicaID(1)).text == "hi bravo\n", "the history holds everything again")
    }
}
