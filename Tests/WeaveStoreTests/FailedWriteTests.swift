import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveStore

/// A write of the history that fails (a full disk, an I/O error) part-way, or
/// whose fsync fails, must leave on disk exactly the records acknowledged
/// before it: the log is cut back to its last good record before anything
/// else is appended, so a later flush never writes whole records after a torn
/// one (issue 30, defect 1: the history was then damaged in the middle and
/// `weave recover` lost everything typed after the disk was full).
struct FailedWriteTests {
    static let file = "/doc/notes.txt"
    static var sidecar: String { OpLog.sidecarPath(for: file) }

    /// A document with a few flushed edits and `unflushed` more buffered.
    static func setUp(unflushed: Int, seed: UInt64) throws -> (PowerCutFileSystem, StoredDocument, [Unicode.Scalar], acknowledged: String) {
        var g = SeededRandom(seed: seed)
        let fs = PowerCutFileSystem()
        fs.install(file, Array("start\n".utf8))
        let s = try StoredDocument(file: file, replica: ReplicaID(5), author: "me", now: 0, fs: fs)
        var model = Array("start\n".unicodeScalars)
        var acknowledged = ""
        for i in 0 ..< 3 + unflushed {
            let at = g.int(0 ... model.count), add = g.text(g.int(1 ... 4))
            s.record([s.doc.insert(add, at: at)!], time: Int64(i))
            model.insert(contentsOf: add, at: at)
            if i == 2 {
                try s.flush()
                acknowledged = s.doc.text
            }
        }
        return (fs, s, model, acknowledged)
    }

    static func text(_ m: [Unicode.Scalar]) -> String { String(String.UnicodeScalarView(m)) }

    /// What a failed flush must leave: the file parses with no damage and no
    /// torn tail (it was cut back).
    static func expectCutBack(_ fs: PowerCutFileSystem, _ context: String) {
        let bytes = fs.contents(sidecar) ?? []
        do {
            let loaded = try OpLog.parse(bytes, path: sidecar)
            #expect(loaded.tornTailBytes == 0, "\(context): \(loaded.tornTailBytes) torn bytes left after the failed write")
        } catch {
            Issue.record("\(context): the history does not parse after a failed write: \(error)")
        }
    }

    /// Every offset at which the write can stop (ENOSPC and EIO), then the
    /// disk recovers: the next flush writes the buffer whole, the history
    /// holds every edit once, and a power cut at either moment keeps exactly
    /// what was acknowledged.
    @Test(arguments: [PowerCutFileSystem.noSpace, PowerCutFileSystem.ioError])
    func aWriteThatStopsAtAnyOffsetIsCutBackAndWrittenWholeLater(reason: String) throws {
        let seed = TestSeed.pick(30_001)
        let size = try Self.setUp(unflushed: 4, seed: seed).1.log.unflushedBytes
        #expect(size > 20)
        for offset in 0 ..< size {
            for cutAfterFailure in [false, true] {
                let context = "seed \(seed) \(reason) after \(offset)/\(size) bytes, power cut after the failure: \(cutAfterFailure)"
                var (fs, s, model, acknowledged) = try Self.setUp(unflushed: 4, seed: seed)
                fs.failNextAppend = (offset, reason)
                #expect(throws: StoreError.self, "\(context)") { try s.flush() }
                Self.expectCutBack(fs, context)
                if cutAfterFailure {
                    fs.powerCut()
                    let t = try StoredDocument(file: Self.file, author: "again", fs: fs)
                    #expect(t.doc.text == acknowledged, "\(context): reopened \(t.doc.text.debugDescription)")
                    continue
                }
                // The disk has room again: more typing, and the group commit succeeds.
                s.record([s.doc.insert("Z", at: 0)!], time: 99)
                model.insert("Z", at: 0)
                try s.flush()
                acknowledged = Self.text(model)
                let loaded = try OpLog.parse(fs.contents(Self.sidecar)!, path: Self.sidecar)
                #expect(loaded.tornTailBytes == 0 && loaded.history.edits.count == s.history.edits.count,
                        "\(context): \(loaded.history.edits.count) edits on disk, \(s.history.edits.count) made")
                fs.powerCut()
                let t = try StoredDocument(file: Self.file, author: "again", fs: fs)
                #expect(t.doc.text == acknowledged, "\(context): reopened \(t.doc.text.debugDescription), acknowledged \(acknowledged.debugDescription)")
                #expect(!t.messages.contains { $0.contains("cut back") || $0.contains("outside") }, "\(context): \(t.messages)")
            }
        }
    }

    /// An fsync that fails after the write went through: the system may have
    /// dropped those pages, so they are cut and written again whole; the
    /// history after the next good flush survives a power cut intact.
    @Test(arguments: [false, true])
    func aFailedSyncIsCutBackAndWrittenAgain(alsoFailTheCut: Bool) throws {
        let seed = TestSeed.pick(30_002)
        var (fs, s, model, _) = try Self.setUp(unflushed: 3, seed: seed)
        fs.failNextSync = PowerCutFileSystem.ioError
        if alsoFailTheCut { fs.failNextTruncate = PowerCutFileSystem.ioError }
        #expect(throws: StoreError.self) { try s.flush() }
        s.record([s.doc.insert("Q", at: 1)!], time: 50)
        model.insert("Q", at: 1)
        try s.flush()
        #expect(fs.failures == (alsoFailTheCut ? 2 : 1))
        fs.powerCut()
        let t = try StoredDocument(file: Self.file, author: "again", fs: fs)
        #expect(t.doc.text == Self.text(model), "seed \(seed): reopened \(t.doc.text.debugDescription), want \(Self.text(model).debugDescription)")
        #expect(t.history.edits.count == s.history.edits.count, "seed \(seed): edits doubled or lost")
    }

    /// While the cut itself fails, nothing is appended after the torn bytes.
    @Test func nothingIsAppendedWhileTheCutFails() throws {
        let (fs, s, _, acknowledged) = try Self.setUp(unflushed: 2, seed: TestSeed.pick(30_003))
        let before = fs.contents(Self.sidecar)!
        fs.failNextAppend = (5, PowerCutFileSystem.noSpace)
        fs.failNextTruncate = PowerCutFileSystem.ioError
        #expect(throws: StoreError.self) { try s.flush() }
        let torn = fs.contents(Self.sidecar)!
        #expect(torn.count == before.count + 5)
        fs.failNextTruncate = PowerCutFileSystem.ioError
        #expect(throws: StoreError.self) { try s.flush() }
        #expect(fs.contents(Self.sidecar)! == torn, "records were appended after a torn one")
        try s.flush()
        fs.powerCut()
        let t = try StoredDocument(file: Self.file, author: "again", fs: fs)
        #expect(t.doc.text == s.doc.text && t.doc.text != acknowledged)
    }
}
