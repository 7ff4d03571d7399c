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
        let shared = dir.path + "/shared"
        let (alice, bob) = try WorkspaceSessionTests.pair(dir, files: ["a.txt": "alpha\n", "b.txt": "bravo\n"], aliceOpens: "a.txt", bobOpens: "b.txt")
        defer { WorkspaceSessionTests.shutdown(alice, bob) }
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

/// Issue 30, defect 6: the file list took names of only spaces, or with a
/// space at an end of a name; they are refused when typed, with why.
@Suite(.serialized) struct TypedNameTests {
    @Test func namesOfSpacesOrWithEdgeSpacesAreRefusedWhenTyped() throws {
        for bad in ["   ", "notes.txt ", " notes.txt", "docs /a.txt"] {
            #expect(throws: WorkspaceFailure.self, "\(bad.debugDescription)") { try WorkspaceSession.typed(bad) }
        }
        #expect(try WorkspaceSession.typed("my notes/to do.txt") == "my notes/to do.txt")
        let dir = try TempDir()
        let (alice, bob) = try WorkspaceSessionTests.pair(dir, files: ["a.txt": "alpha\n"], bobOpens: "a.txt")
        defer { WorkspaceSessionTests.shutdown(alice, bob) }
        #expect(throws: WorkspaceFailure.self) { try bob.workspace.create("  ") }
        #expect(throws: WorkspaceFailure.self) { try bob.workspace.rename("a.txt", to: "a.txt ") }
        #expect(bob.folder.state.files.map(\.path) == ["a.txt"], "nothing was created or renamed")
    }
}
