import Foundation
import Testing
import WeaveCore
import WeaveHistory
import WeaveStore
@testable import WeaveEditor
@testable import WeaveSession
import WeaveTestSupport

/// `weave edit` on a long history (issue 34): the session opens without
/// building the history's edits, keys edit the log's text, and F2 builds
/// them and shows the same timeline as an eager load of the file.
@Suite struct LazyOpenSessionTests {
    @Test func timeTravelAfterALazyOpenShowsTheWholeHistory() throws {
        let dir = try TempDir()
        let file = dir.path + "/long.txt"
        // A history long enough for a state record, written as `weave import` does.
        var doc = RGA(replica: ReplicaID(4))
        var history = History(authors: [ReplicaID(4): Author(replica: ReplicaID(4), name: "typist", colour: 1)])
        var g = SeededRandom(seed: 34_100)
        for i in 0 ..< StateSnapshot.minimumEdits + 50 {
            let op: WeaveCore.Operation?
            if doc.count == 0 || g.chance(0.7) {
                op = doc.insert(g.text(g.int(1 ... 3)) + (g.chance(0.1) ? ["\n"] : []), at: g.int(0 ... doc.count))
            } else {
                op = doc.delete(at: g.int(0 ..< doc.count), length: 1)
            }
            if let op { history.edits.append(Edit(time: 1_700_000_000_000 + Int64(i) * 1000, ops: [op])) }
        }
        try OpLog.write(path: OpLog.sidecarPath(for: file), log: doc.log, history: history,
                        textMark: TextMark(text: doc.text, edits: history.edits.count),
                        state: StateSnapshot(of: doc, history: history))
        try doc.text.write(toFile: file, atomically: false, encoding: .utf8)

        let session = try EditorSession(path: file, author: "tester")
        let store = try #require(session.store)
        #expect(!store.isHistoryLoaded, "opening built the history's edits")
        #expect(session.editor.text == doc.text)
        #expect(!session.editor.modified)
        // A key edits the log's document, and is recorded after the encoded edits.
        session.perform(session.editorHandle(.ctrlHome) + session.editorHandle(.char("x")))
        #expect(session.editor.text == "x" + doc.text)
        #expect(store.editCount == history.edits.count + 1)
        #expect(!store.isHistoryLoaded, "a key built the history's edits")
        try store.flush()

        // F2: the whole history, as an eager load of the file gives it.
        session.perform(session.editorHandle(.function(2)))
        #expect(store.isHistoryLoaded)
        let pane = try #require(session.editor.pane)
        #expect(pane.scrubber.edits == history.edits.count + 1)
        let eager = try OpLog.load(path: OpLog.sidecarPath(for: file))
        #expect(store.history == eager.history)
        let shown = Timeline(doc: session.editor.doc.rga, history: store.history)
        let fromFile = Timeline(doc: try eager.document(as: ReplicaID(99)), history: eager.history)
        for n in [0, 1, 500, history.edits.count, history.edits.count + 1] {
            #expect(shown.text(after: n) == fromFile.text(after: n), "time travel to \(n)")
        }
        #expect(shown.text(after: history.edits.count) == doc.text)
    }
}
