import Testing
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
