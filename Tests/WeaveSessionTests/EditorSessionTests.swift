import Foundation
import Testing
import WeaveCore
import WeaveStore
@testable import WeaveEditor
@testable import WeaveSession
import WeaveTestSupport

/// The session without a terminal: what it records in the history.
@Suite struct EditorSessionTests {
    @Test func localKeysAndRemoteBatchesAreRecordedAndReopen() throws {
        let dir = try TempDir()
        let file = dir.path + "/s.txt"
        try "base\n".write(toFile: file, atomically: false, encoding: .utf8)
        let session = try EditorSession(path: file, author: "tester")
        let store = try #require(session.store)
        #expect(session.editor.text == "base\n")
        #expect(session.editor.historyStatus == "history saved")
        let before = store.history.edits.count
        // A local key: its broadcast is recorded.
        session.perform(session.editorHandle(.ctrlEnd) + session.editorHandle(.char("x")))
        #expect(store.history.edits.count == before + 1)
        #expect(session.editor.historyStatus == "saving…")
        // A remote batch: applied and recorded as one edit.
        var peer = RGA(replica: ReplicaID(77))
        try peer.receive(contentsOf: session.editor.doc.rga.operations(since: peer.version))
        let op1 = peer.insert(["!"], at: 0)!, op2 = peer.insert(["?"], at: 1)!
        try session.receive([op1, op2])
        #expect(store.history.edits.count == before + 2)
        #expect(session.editor.text == "!?base\nx")
        // F2 hands the editor the whole timeline.
        session.perform(session.editorHandle(.function(2)))
        #expect(session.editor.pane?.scrubber.edits == before + 2)
        try store.flush()
        let reopened = try StoredDocument(file: file, author: "again")
        #expect(reopened.doc.text == "!?base\nx")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "base\n", "the plain text waits for Ctrl-S")
    }

    @Test func refusalsHaveClearMessages() throws {
        let dir = try TempDir()
        let bin = dir.path + "/b.bin"
        try Data([0x41, 0, 0x42]).write(to: URL(fileURLWithPath: bin))
        #expect { try EditorSession(path: bin) } throws: { "\($0)".contains("is not a text file Weave can edit") }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/.b.bin.weave"))
    }
}

extension EditorSession {
    /// One key through the model, as the loop does.
    func editorHandle(_ key: Key) -> [Effect] { handleForTests(key) }
}
