import Foundation
import Testing
import WeaveStore
import WeaveTestSupport
import WeaveCore
import WeavePeer
@testable import WeaveSession

/// Issue 28, defect 1: a joiner waiting for the first file drained the inbox
/// and returned at that file's catch-up, dropping every event drained with
/// it — the other files' operations. Most files of a joined folder stayed
/// empty, and later edits to them could never apply.
@Suite struct JoinArrivalTests {
    @Test func eventsDrainedWithTheFirstFilesCatchUpAreKept() throws {
        let inbox = try PeerInbox()
        let first = DocumentID(rawValue: 0x11), other = DocumentID(rawValue: 0x22)
        var doc = RGA(replica: ReplicaID(7))
        let inserted = doc.insert("text of another file\n", at: 0)
        let op = try #require(inserted)
        inbox.post(.documentOperations(other, [op], edits: []))
        inbox.post(.documentCaughtUp(first))
        inbox.post(.documentOperations(other, [op], edits: []))
        inbox.post(.documentCaughtUp(other))
        var early: [PeerEvent] = []
        try WorkspaceStart.waitForDocument(first, inbox: inbox, early: &early, seconds: 5)
        let kept = early.filter { if case .documentOperations = $0 { return true }; return false }.count
        #expect(kept == 2, "every event drained is kept for the session")
        #expect(early.count == 4)
        #expect(inbox.count == 0)
    }
}

/// Issue 28, defect 2: a history recorded a peer's edit whose text it did not
/// have (an operation held back until the one it follows arrives), so `weave
/// log` showed an edit with no text and restoring it deleted the file.
@Suite struct NoEditWithoutTextTests {
    @Test func anOperationHeldBackIsRecordedOnlyOnceItApplies() throws {
        let dir = try TempDir("no-edit-without-text")
        let folder = try WorkspaceFolder(root: dir.path, replica: ReplicaID(1), author: "me", colour: 0, workspaceID: 0xA1)
        let d = DocumentID(rawValue: 0xD0C)
        folder.append(try folder.state.create(path: "notes.txt", document: d, author: ReplicaID(1)))
        _ = try folder.store(d)
        var peer = RGA(replica: ReplicaID(9))
        let a = peer.insert("hello\n", at: 0), b = peer.insert("world\n", at: 6)
        let first = try #require(a), second = try #require(b)
        // The second arrives first: it cannot apply, so it is no edit yet.
        try folder.receive([second], into: d, marks: MarkTable())
        #expect(folder.stores[d]!.history.edits.isEmpty)
        try folder.receive([first], into: d, marks: MarkTable())
        try folder.commit()
        #expect(folder.stores[d]!.history.edits.count == 1)
        // Every recorded edit has its text: the history alone gives the file's text.
        let loaded = try OpLog.load(path: OpLog.sidecarPath(for: dir.path + "/notes.txt"))
        #expect(try loaded.document(as: ReplicaID(1)).text == "hello\nworld\n")
        #expect(loaded.history.edits.allSatisfy { !$0.ranges.isEmpty })
        #expect(String(decoding: FileManager.default.contents(atPath: dir.path + "/notes.txt") ?? Data(), as: UTF8.self) == "hello\nworld\n")
    }
}

/// A first join cut short (the host died before its folder arrived) left
/// DIR/.weave and nothing else; joining again was refused as "not empty and
/// does not mirror a shared folder", for good.
@Suite struct HalfMadeJoinTests {
    @Test func aFolderHoldingOnlyAnUnfinishedJoinCanBeJoinedAgain() throws {
        let dir = try TempDir("half-join")
        let root = dir.path + "/mirror"
        try FileManager.default.createDirectory(atPath: root + "/.weave", withIntermediateDirectories: true)
        try "".write(toFile: root + "/.weave/folder.txt", atomically: true, encoding: .utf8)
        try WorkspaceStart.checkJoinTarget(root)
        // Somebody's own file beside it: still refused, nothing changed.
        try "mine\n".write(toFile: root + "/notes.txt", atomically: true, encoding: .utf8)
        #expect(throws: WorkspaceFailure.self) { try WorkspaceStart.checkJoinTarget(root) }
    }
}
