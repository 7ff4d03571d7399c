import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveStore

/// A history written by real editing (random inserts and deletes, flushes and
/// saves) into a `PowerCutFileSystem`, with everything a test needs to know the
/// right answer without the store's own parser: where each record starts and
/// ends and what it is (read with the format's plain framing), the text after
/// each edit and at each save.
struct WrittenHistory {
    static let file = "/doc/notes.txt"
    static var sidecar: String { OpLog.sidecarPath(for: file) }

    var sidecar: [UInt8]
    /// FILE's text (as last saved).
    var fileText: String
    /// The text after k edits, for k = 0 … edits.
    var editTexts: [String]
    /// The text of each save mark, in the order written.
    var markTexts: [String]
    /// Each record: where it starts, where it ends, its type byte.
    var records: [(start: Int, end: Int, type: UInt8)]

    /// Writes a history of `steps` random edits. With `endsSaved` the last act is
    /// a save (FILE holds the whole history); otherwise edits follow the last save.
    static func make(seed: UInt64, steps: Int, endsSaved: Bool) throws -> WrittenHistory {
        var g = SeededRandom(seed: seed)
        let fs = PowerCutFileSystem()
        let first = "first line\n"
        fs.install(file, Array(first.utf8))
        let s = try StoredDocument(file: file, replica: ReplicaID(7), author: "me", now: 0, fs: fs)
        var model = Array(first.unicodeScalars)
        var editTexts = ["", first]
        var markTexts = [first]
        var fileText = first
        func text(_ m: [Unicode.Scalar]) -> String { String(String.UnicodeScalarView(m)) }
        for step in 0 ..< steps {
            if model.isEmpty || g.chance(0.65) {
                let at = g.int(0 ... model.count), add = g.text(g.int(1 ... 6))
                s.record([s.doc.insert(add, at: at)!], time: Int64(step))
                model.insert(contentsOf: add, at: at)
            } else {
                let at = g.int(0 ..< model.count), n = min(g.int(1 ... 4), model.count - at)
                s.record([s.doc.delete(at: at, length: n)!], time: Int64(step))
                model.removeSubrange(at ..< at + n)
            }
            editTexts.append(text(model))
            if g.chance(0.3) { try s.flush() }
            let last = step == steps - 1
            if (last && endsSaved) || (!last && g.chance(0.15)) || (!endsSaved && step == steps - 4) {
                try s.savePlainText()
                fileText = text(model)
                markTexts.append(fileText)
            }
        }
        try s.flush()
        #expect(s.doc.text == text(model), "seed \(seed): the store's document is not the model")
        let bytes = fs.contents(sidecar)!
        var records: [(Int, Int, UInt8)] = []
        var o = 16
        while o + 8 < bytes.count {
            let length = Int(bytes[o]) | Int(bytes[o + 1]) << 8 | Int(bytes[o + 2]) << 16 | Int(bytes[o + 3]) << 24
            records.append((o, o + 8 + length, bytes[o + 8]))
            o += 8 + length
        }
        #expect(o == bytes.count, "seed \(seed): records do not tile the file")
        #expect(fs.contents(file).map { String(decoding: $0, as: UTF8.self) } == fileText)
        return WrittenHistory(sidecar: bytes, fileText: fileText, editTexts: editTexts, markTexts: markTexts, records: records)
    }

    /// What a user must see after reopening, when only the records wholly
    /// inside the first `length` bytes survive: FILE's text, unless FILE is
    /// exactly the surviving history's last save (FILE older than the history),
    /// in which case the history's text.
    func expectedText(keeping length: Int) -> (text: String, historyText: String) {
        let whole = records.filter { $0.end <= length && length >= 16 }
        let edits = whole.filter { $0.type == OpLogFormat.RecordType.edit.rawValue }.count
        let marks = whole.filter { $0.type == OpLogFormat.RecordType.textMark.rawValue }.count
        let historyText = editTexts[edits]
        if marks > 0, markTexts[marks - 1] == fileText { return (historyText, historyText) }
        return (fileText, historyText)
    }

    /// A file system holding FILE as saved and `sidecar` as the history.
    func fileSystem(sidecar bytes: [UInt8]) -> PowerCutFileSystem {
        let fs = PowerCutFileSystem()
        fs.install(Self.file, Array(fileText.utf8))
        fs.install(Self.sidecar, bytes)
        return fs
    }

    /// The start of the record holding byte `i` (nil: the header).
    func record(holding i: Int) -> Int? { records.firstIndex { $0.start <= i && i < $0.end } }
}

/// The trust issue's store property: whatever was cut off or flipped, reopening
/// shows FILE's text (or the history's, where FILE is older), never both merged,
/// and `weave recover` keeps exactly the valid prefix.
struct TornHistoryPropertyTests {
    static let seeds: [UInt64] = [TestSeed.pick(13_001), 13_002, 13_003]

    /// Every truncation offset, from byte 0 to the whole file.
    @Test(arguments: [true, false])
    func everyTruncationReopensToTheRightTextAndNeverDoubles(endsSaved: Bool) throws {
        for seed in Self.seeds {
            let h = try WrittenHistory.make(seed: seed, steps: 30, endsSaved: endsSaved)
            for cut in 0 ... h.sidecar.count {
                let (want, historyText) = h.expectedText(keeping: cut)
                let fs = h.fileSystem(sidecar: Array(h.sidecar[0 ..< cut]))
                if cut >= 16 {
                    let loaded = try OpLog.parse(Array(h.sidecar[0 ..< cut]), path: "h")
                    #expect(try loaded.document(as: ReplicaID(1)).text == historyText,
                            "seed \(seed) cut \(cut): the history's valid prefix is not the text after its edits")
                }
                do {
                    let s = try StoredDocument(file: WrittenHistory.file, author: "again", fs: fs)
                    #expect(s.doc.text == want, "seed \(seed) endsSaved \(endsSaved) cut \(cut)/\(h.sidecar.count): reopened \(s.doc.text.debugDescription), want \(want.debugDescription)")
                    #expect(s.isModified == (want != h.fileText), "seed \(seed) cut \(cut): modified flag")
                    let again = try StoredDocument(file: WrittenHistory.file, author: "third", fs: fs)
                    #expect(again.doc.text == want, "seed \(seed) cut \(cut): a second reopen changed the text")
                    #expect(!again.messages.contains { $0.contains("outside") }, "seed \(seed) cut \(cut): \(again.messages)")
                } catch {
                    Issue.record("seed \(seed) cut \(cut): did not reopen: \(error)")
                }
            }
        }
    }

    /// Every single-byte flip: the last record's is a torn tail (cut back);
    /// an earlier one is refused as damage at or before it, and `weave recover`
    /// then keeps the records before the damaged one. The header's magic is
    /// refused outright.
    @Test(arguments: [true, false])
    func everyByteFlipReopensOrIsRefusedAndRecoverKeepsThePrefix(endsSaved: Bool) throws {
        for seed in Self.seeds.prefix(2) {
            let h = try WrittenHistory.make(seed: seed, steps: 20, endsSaved: endsSaved)
            var g = SeededRandom(seed: seed ^ 0xF11F)
            for i in 0 ..< h.sidecar.count {
                var bytes = h.sidecar
                bytes[i] ^= UInt8(g.int(1 ... 255))
                let r = h.record(holding: i)
                let keep = r.map { h.records[$0].start } ?? h.sidecar.count
                let (want, _) = h.expectedText(keeping: keep)
                let fs = h.fileSystem(sidecar: bytes)
                do {
                    let s = try StoredDocument(file: WrittenHistory.file, author: "again", fs: fs)
                    #expect(r == nil ? i >= 12 : r == h.records.count - 1,
                            "seed \(seed) flip at \(i): opened although the damage is not in the last record")
                    #expect(s.doc.text == want, "seed \(seed) flip at \(i): reopened \(s.doc.text.debugDescription), want \(want.debugDescription)")
                    continue
                } catch let e as StoreError {
                    switch e {
                    case .damaged(_, let offset, _): #expect(offset <= i, "seed \(seed) flip at \(i) reported at \(offset)")
                    case .notAWeaveLog, .newerFormat: #expect(i < 12, "seed \(seed) flip at \(i): \(e)")
                    default: Issue.record("seed \(seed) flip at \(i): \(e)")
                    }
                }
                #expect(fs.contents(WrittenHistory.sidecar) == bytes, "seed \(seed) flip at \(i): a refused history was written")
                do {
                    _ = try Recovery.recover(file: WrittenHistory.file, fs: fs)
                    let s = try StoredDocument(file: WrittenHistory.file, author: "again", fs: fs)
                    #expect(s.doc.text == want, "seed \(seed) flip at \(i): after recover \(s.doc.text.debugDescription), want \(want.debugDescription)")
                    #expect(!s.isModified || want != h.fileText, "seed \(seed) flip at \(i): recovered copy shows modified")
                    #expect(fs.contents(WrittenHistory.sidecar + ".damaged") == bytes, "seed \(seed) flip at \(i): the damaged copy is not kept whole")
                    let loaded = try OpLog.load(path: WrittenHistory.sidecar, fs: fs)
                    #expect(loaded.tornTailBytes == 0)
                } catch let e as StoreError {
                    guard case .notAWeaveLog = e, i < 8 else { Issue.record("seed \(seed) flip at \(i): recover failed: \(e)"); continue }
                }
            }
        }
    }
}
