import Foundation
import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveStore

/// A history removed or replaced while its file is open (issue 30, defect 3:
/// `rm .g.txt.weave` during `weave edit g.txt` lost everything typed, and no
/// history was written again): the next flush notices, writes the whole
/// history again from memory and says so.
struct RemovedHistoryTests {
    /// In the power-cut layer: removed, or replaced by another file, at random
    /// moments; every power cut afterwards reopens to the acknowledged text
    /// with every edit in the history.
    @Test(arguments: [TestSeed.pick(30_301), 30_302, 30_303])
    func aRemovedOrReplacedHistoryIsWrittenAgainAtTheNextFlush(seed: UInt64) throws {
        var g = SeededRandom(seed: seed)
        let fs = PowerCutFileSystem()
        let file = "/doc/g.txt", sidecar = OpLog.sidecarPath(for: file)
        fs.install(file, Array("one\n".utf8))
        var s = try StoredDocument(file: file, replica: ReplicaID(2), author: "me", fs: fs)
        var model = Array("one\n".unicodeScalars)
        var acknowledged = s.doc.text
        var rewrites = 0
        var replaced = false  // a power cut before the next flush would keep the other file: not this test's case
        for step in 0 ..< 300 {
            let at = g.int(0 ... model.count), add = g.text(g.int(1 ... 3))
            s.record([s.doc.insert(add, at: at)!])
            model.insert(contentsOf: add, at: at)
            if g.chance(0.05) {
                if g.chance(0.5) {
                    try fs.remove(sidecar)  // rm .g.txt.weave
                } else {
                    fs.install(sidecar, OpLogFormat.header())  // another file in its place
                    replaced = true
                }
                #expect(s.log.isDetached, "seed \(seed) step \(step): the removal is not noticed")
            }
            if g.chance(0.3) {
                if let note = try s.flush() {
                    rewrites += 1
                    #expect(note.contains("written again"), "seed \(seed): \(note)")
                }
                #expect(!s.log.isDetached)
                acknowledged = s.doc.text
                replaced = false
            }
            if !replaced, g.chance(0.03) {
                fs.powerCut()
                s = try StoredDocument(file: file, replica: ReplicaID(UInt64(100 + step)), author: "me", fs: fs)
                #expect(s.doc.text == acknowledged, "seed \(seed) step \(step): reopened \(s.doc.text.debugDescription), acknowledged \(acknowledged.debugDescription)")
                model = s.doc.scalars
            }
        }
        #expect(rewrites > 0, "seed \(seed): no history was removed before a flush: nothing was checked")
    }

    /// On the real file system: `rm` the history between two flushes; the
    /// next flush writes it again whole (every edit, once), and a Ctrl-S too.
    @Test func rmOfTheHistoryWhileOpenLosesNothing() throws {
        let dir = try TempDir("rm")
        let file = dir.file("g.txt"), sidecar = OpLog.sidecarPath(for: file)
        try "base\n".write(toFile: file, atomically: false, encoding: .utf8)
        let s = try StoredDocument(file: file, author: "me")
        s.record([s.doc.insert("one ", at: 0)!])
        try s.flush()
        #expect(unlink(sidecar) == 0)
        s.record([s.doc.insert("two ", at: 0)!])
        let note = try s.flush()
        #expect(note?.contains(".g.txt.weave was removed or replaced") == true, "\(note ?? "no note")")
        let loaded = try OpLog.load(path: sidecar)
        #expect(try loaded.document(as: ReplicaID(1)).text == "two one base\n")
        #expect(loaded.history.edits.count == s.history.edits.count)
        // Removed again, then Ctrl-S: the save writes the history again too.
        #expect(unlink(sidecar) == 0)
        s.record([s.doc.insert("three ", at: 0)!])
        #expect(try s.savePlainText(s.doc.text) != nil)
        let again = try OpLog.load(path: sidecar)
        #expect(try again.document(as: ReplicaID(1)).text == "three two one base\n")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "three two one base\n")
        #expect(TextMark(text: "three two one base\n").sameText(as: again.textMark))
        // Writing continues on the new file, and it is still this process's alone.
        s.record([s.doc.insert("four ", at: 0)!])
        #expect(try s.flush() == nil)
        #expect(try OpLog.load(path: sidecar).document(as: ReplicaID(1)).text == "four three two one base\n")
        #expect(try Tmux.run(["flock", "-n", sidecar, "true"]).status != 0, "the history written again is not locked")
    }

    /// A caller that keeps the document elsewhere (the editor) and does not
    /// pass it is refused rather than given a history without its text.
    @Test func withoutTheWholeDocumentItIsRefusedNotEmptied() throws {
        let fs = PowerCutFileSystem()
        let file = "/doc/h.txt"
        fs.install(file, Array("text\n".utf8))
        let s = try StoredDocument(file: file, author: "me", fs: fs)
        let whole = s.doc
        s.doc = RGA(replica: whole.localReplica)
        try fs.remove(OpLog.sidecarPath(for: file))
        #expect(throws: StoreError.self) { try s.flush() }
        #expect(try s.flush(current: whole) != nil)
        #expect(try OpLog.load(path: OpLog.sidecarPath(for: file), fs: fs).document(as: ReplicaID(1)).text == "text\n")
    }
}
