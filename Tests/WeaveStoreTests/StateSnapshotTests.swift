import Testing
import WeaveCore
import WeaveHistory
import WeaveTestSupport
@testable import WeaveStore

/// A history made of random edits by two replicas (each edit local, or a
/// batch of the other replica's concurrent ones), for the state record's
/// oracles: the document, its history, and the operations in the order applied.
private struct RandomHistory {
    var doc: RGA
    var history = History()

    init(seed: UInt64, edits: Int) throws {
        var g = SeededRandom(seed: seed)
        let me = ReplicaID(1), other = ReplicaID(2)
        doc = RGA(replica: me)
        var peer = RGA(replica: other)
        history.authors[me] = Author(replica: me, name: "me", colour: 1)
        history.authors[other] = Author(replica: other, name: "peer", colour: 2)
        var time: Int64 = 1_700_000_000_000
        for _ in 0 ..< edits {
            time += Int64(g.int(1 ... 5000))
            if g.chance(0.2) {
                // The peer types on its own copy, then its edit arrives here.
                var ops: [Operation] = []
                for _ in 0 ..< g.int(1 ... 3) {
                    if let op = Self.randomEdit(&peer, &g) { ops.append(op) }
                }
                let before = doc.version
                try doc.receive(contentsOf: ops)
                try peer.receive(contentsOf: doc.operations(since: peer.version))
                if doc.version != before { history.edits.append(Edit(time: time, ops: ops)) }
            } else if let op = Self.randomEdit(&doc, &g) {
                history.edits.append(Edit(time: time, ops: [op]))
            }
        }
    }

    static func randomEdit(_ d: inout RGA, _ g: inout SeededRandom) -> Operation? {
        if d.count == 0 || g.chance(0.6) {
            return d.insert(g.text(g.int(1 ... 5)), at: g.int(0 ... d.count))
        }
        let at = g.int(0 ..< d.count)
        return d.delete(at: at, length: min(g.int(1 ... 4), d.count - at))
    }

    var utf8: [UInt8] { Array(doc.text.utf8) }

    /// A history file holding it: header, snapshot, state (format 2), then a text mark.
    func fileBytes() -> [UInt8] {
        var bytes = OpLog.fileBytes(snapshot: Snapshot.encode(log: doc.log, history: history, mark: nil),
                                    state: StateSnapshot(of: doc, edits: history.edits.count))
        bytes += OpLogFormat.record(OpLogFormat.textMarkPayload(TextMark(utf8: utf8, edits: history.edits.count)))
        return bytes
    }
}

/// The framing of a history file, read independently of the store's parser:
/// each record's start, end and type byte.
private func records(_ bytes: [UInt8]) -> [(start: Int, end: Int, type: UInt8)] {
    var out: [(Int, Int, UInt8)] = []
    var o = OpLogFormat.headerSize
    while o + 8 < bytes.count {
        let length = Int(bytes[o]) | Int(bytes[o + 1]) << 8 | Int(bytes[o + 2]) << 16 | Int(bytes[o + 3]) << 24
        out.append((o, o + 8 + length, bytes[o + 8]))
        o += 8 + length
    }
    return out
}

/// What `weave show` prints for a history file: the current state's text when
/// there is one, else the text the log makes (nil: the log is refused).
private func shownText(_ bytes: [UInt8]) -> (text: [UInt8]?, fromState: Bool) {
    if let state = OpLog.currentState(in: bytes) { return (state.text, true) }
    guard let loaded = try? OpLog.parse(bytes, path: "h"), let doc = try? loaded.document(as: ReplicaID(0)) else { return (nil, false) }
    return (Array(doc.text.utf8), false)
}

/// The state record (issue 34): the latest text stored beside the log, read
/// without decoding it, and never trusted where it could be wrong.
struct StateSnapshotTests {
    static let seeds: [UInt64] = [TestSeed.pick(34_001), 34_002, 34_003]

    @Test func aStateRoundTripsThroughItsRecord() throws {
        for text in ["", "a", "héllo 日本語 🙂\n", String(repeating: "line of text\n", count: 500)] {
            let s = StateSnapshot(edits: 7, version: VersionVector([ReplicaID(3): 9, ReplicaID(1): 4]), text: Array(text.utf8))
            let payload = s.payload()
            #expect(payload[0] == OpLogFormat.RecordType.state.rawValue)
            var r = ByteReader(payload, range: 1 ..< payload.count, base: 1)
            #expect(try StateSnapshot.decode(&r) == s)
        }
    }

    /// Oracle: on random two-replica histories, the text read from the state
    /// (no operation decoded) is the text the whole log makes, and so are its
    /// version and edit count.
    @Test func theStateEqualsTheLogOnRandomHistories() throws {
        for seed in Self.seeds {
            let h = try RandomHistory(seed: seed, edits: 300)
            let bytes = h.fileBytes()
            let state = try #require(OpLog.currentState(in: bytes), "seed \(seed): no current state")
            let loaded = try OpLog.parse(bytes, path: "h")
            let doc = try loaded.document(as: ReplicaID(0))
            #expect(state.text == Array(doc.text.utf8), "seed \(seed): the state's text is not the log's")
            #expect(state.version == doc.version, "seed \(seed)")
            #expect(state.edits == loaded.history.edits.count, "seed \(seed)")
            #expect(loaded.state == state, "seed \(seed): the full load did not keep the state")
            #expect(loaded.formatVersion == OpLogFormat.stateVersion)
        }
    }

    /// An edit or snapshot record after the state makes it an old version:
    /// the reader falls back to the log. Author and text-mark records do not.
    @Test func anEditAfterTheStateMakesItOld() throws {
        let h = try RandomHistory(seed: Self.seeds[0], edits: 50)
        var bytes = h.fileBytes()
        bytes += OpLogFormat.record(OpLogFormat.authorPayload(Author(replica: ReplicaID(9), name: "late", colour: 3)))
        #expect(OpLog.currentState(in: bytes)?.text == h.utf8)
        var doc = h.doc
        let inserted = doc.insert(Array("!".unicodeScalars), at: 0)
        let op = try #require(inserted)
        bytes += OpLogFormat.record(OpLogFormat.editPayload(time: 1, ops: [op]))
        #expect(OpLog.currentState(in: bytes) == nil)
        #expect(shownText(bytes).text == Array(doc.text.utf8))
        // A format-1 file (no state) has no current state, and reads as before.
        let old = OpLogFormat.header() + OpLogFormat.record(Snapshot.encode(log: h.doc.log, history: h.history, mark: nil))
        #expect(OpLog.currentState(in: old) == nil)
        #expect(shownText(old).text == h.utf8)
    }

    /// Every truncation of the file from the state record's first byte on, and
    /// every single-byte flip anywhere in the file (the state record above
    /// all): what `weave show` prints is the right text, or the history is
    /// refused with a clear error; never another text. Reopening for editing
    /// shows the right text or refuses, and a damaged state is never used.
    @Test func everyTruncationAndFlipOfTheStateFallsBackAndNeverShowsWrongText() throws {
        for seed in Self.seeds.prefix(2) {
            let h = try RandomHistory(seed: seed, edits: 40)
            let bytes = h.fileBytes()
            let want = h.utf8
            let state = try #require(records(bytes).first { $0.type == OpLogFormat.RecordType.state.rawValue })
            #expect(shownText(bytes) == (want, true), "seed \(seed): the whole file does not show its state")
            for cut in state.start ..< bytes.count {
                let cutBytes = Array(bytes[0 ..< cut])
                let shown = shownText(cutBytes)
                #expect(shown.text == want, "seed \(seed) cut at \(cut): shows \(shown.text.map { String(decoding: $0, as: UTF8.self) }.debugDescription)")
                #expect(!shown.fromState || cut >= state.end, "seed \(seed) cut at \(cut): a cut state was used")
            }
            // An old state: an edit record follows it. No flip may make it look current.
            var after = h.doc
            let inserted = after.insert(Array("!".unicodeScalars), at: 0)
            let late = try #require(inserted)
            let stale = bytes + OpLogFormat.record(OpLogFormat.editPayload(time: 1, ops: [late]))
            let wantAfter = Array(after.text.utf8)
            #expect(shownText(stale) == (wantAfter, false), "seed \(seed): an old state was used")
            var g = SeededRandom(seed: seed ^ 0x5747)
            for i in 0 ..< stale.count {
                var flipped = stale
                flipped[i] ^= UInt8(g.int(1 ... 255))
                let shown = shownText(flipped)
                // A flip in the last record (the edit) is a torn tail: the log then ends before it.
                let allowed = i >= bytes.count ? [wantAfter, want] : [wantAfter]
                #expect(!shown.fromState, "seed \(seed) flip at \(i) of the old state's file: the old state was used")
                #expect(shown.text == nil || allowed.contains(shown.text!), "seed \(seed) flip at \(i) of the old state's file: shows another text")
            }
            for i in 0 ..< bytes.count {
                var flipped = bytes
                flipped[i] ^= UInt8(g.int(1 ... 255))
                let inState = i >= state.start && i < state.end
                if let s = OpLog.currentState(in: flipped) {
                    #expect(s.text == want, "seed \(seed) flip at \(i): the state shows another text")
                    #expect(!inState, "seed \(seed) flip at \(i): a damaged state was used")
                }
                let shown = shownText(flipped)
                if let text = shown.text {
                    #expect(text == want, "seed \(seed) flip at \(i): shows another text")
                }
                guard inState else { continue }
                // The state is damaged: the log alone decides, as for any history.
                let fs = PowerCutFileSystem()
                fs.install("/d/a.txt", want)
                fs.install(OpLog.sidecarPath(for: "/d/a.txt"), flipped)
                do {
                    let s = try StoredDocument(file: "/d/a.txt", author: "again", fs: fs)
                    #expect(Array(s.doc.text.utf8) == want, "seed \(seed) flip at \(i): reopened to another text")
                } catch let e as StoreError {
                    guard case .damaged(_, let offset, _) = e else { Issue.record("seed \(seed) flip at \(i): \(e)"); continue }
                    #expect(offset <= i, "seed \(seed) flip at \(i): damage reported at \(offset)")
                }
            }
        }
    }

    /// A state whose record is whole but which the log does not make (a faulty
    /// writer): opening for editing notices, says so and writes the right state
    /// at once, so `weave show` never prints the wrong one again.
    @Test func aStateTheLogDoesNotMakeIsRebuiltOnOpening() throws {
        let h = try RandomHistory(seed: Self.seeds[0], edits: 60)
        let wrong = StateSnapshot(edits: h.history.edits.count, version: h.doc.version, text: Array("not the text".utf8))
        let bytes = OpLog.fileBytes(snapshot: Snapshot.encode(log: h.doc.log, history: h.history, mark: nil), state: wrong)
        let fs = PowerCutFileSystem()
        fs.install("/d/a.txt", h.utf8)
        fs.install(OpLog.sidecarPath(for: "/d/a.txt"), bytes)
        let s = try StoredDocument(file: "/d/a.txt", author: "again", fs: fs)
        #expect(Array(s.doc.text.utf8) == h.utf8)
        #expect(s.messages.contains { $0.contains("stored state did not match") }, "\(s.messages)")
        let after = try #require(fs.contents(OpLog.sidecarPath(for: "/d/a.txt")))
        #expect(OpLog.currentState(in: after)?.text == h.utf8)
    }

    /// Through the store, as sessions do: a format-1 history opens as before;
    /// at the end of a session with a long history (`compactIfLong`) it is
    /// rewritten once as format 2 with a state; edits make the state old; the
    /// next session's end appends a new one. At every step `weave show`'s text
    /// (state or log) is the document's.
    @Test func sessionsKeepTheStateCurrent() throws {
        let seed = Self.seeds[0]
        var g = SeededRandom(seed: seed)
        let fs = PowerCutFileSystem()
        let file = "/d/long.txt", sidecar = OpLog.sidecarPath(for: file)
        fs.install(file, Array("start\n".utf8))
        let first = try StoredDocument(file: file, replica: ReplicaID(5), author: "me", fs: fs)
        for i in 0 ..< StateSnapshot.minimumEdits + 10 {
            if let op = RandomHistory.randomEdit(&first.doc, &g) { first.record([op], time: Int64(i)) }
        }
        try first.flush()
        #expect(first.log.formatVersion == OpLogFormat.version)
        #expect(OpLog.currentState(in: fs.contents(sidecar)!) == nil)
        let formatOne = fs.contents(sidecar)!
        let copy = OpLog.formatOneCopyPath(for: sidecar)
        #expect(fs.contents(copy) == nil)
        try first.compactIfLong(first.doc)
        #expect(first.log.formatVersion == OpLogFormat.stateVersion, "seed \(seed): not rewritten as format 2")
        // The upgrade kept the format-1 file's bytes beside it, once, and that
        // copy still reads (as a Weave reading only format 1 would) to the same history.
        #expect(fs.contents(copy) == formatOne, "seed \(seed): the format-1 copy is not the file before the upgrade")
        let kept = try OpLog.load(path: copy, fs: fs)
        #expect(kept.formatVersion == OpLogFormat.version)
        #expect(try kept.document(as: ReplicaID(9)).text == first.doc.text)
        #expect(OpLog.currentState(in: fs.contents(sidecar)!)?.text == Array(first.doc.text.utf8), "seed \(seed)")
        try first.savePlainText()
        #expect(OpLog.currentState(in: fs.contents(sidecar)!)?.text == Array(first.doc.text.utf8), "seed \(seed): a save mark made the state old")
        let text1 = first.doc.text

        let second = try StoredDocument(file: file, replica: ReplicaID(6), author: "me", fs: fs)
        #expect(second.doc.text == text1)
        #expect(second.messages.isEmpty, "\(second.messages)")
        #expect(second.log.hasCurrentState)
        for i in 0 ..< 20 {
            if let op = RandomHistory.randomEdit(&second.doc, &g) { second.record([op], time: Int64(5000 + i)) }
        }
        try second.flush()
        let stale = fs.contents(sidecar)!
        #expect(OpLog.currentState(in: stale) == nil, "seed \(seed): an old state is still current")
        #expect(shownText(stale).text == Array(second.doc.text.utf8))
        try second.compactIfLong(second.doc)
        let fresh = fs.contents(sidecar)!
        #expect(fresh.count > stale.count && fresh.starts(with: stale), "seed \(seed): the state was not appended")
        #expect(OpLog.currentState(in: fresh)?.text == Array(second.doc.text.utf8), "seed \(seed)")
        let third = try StoredDocument(file: file, author: "me", fs: fs)
        #expect(third.doc.text == second.doc.text)
        #expect(third.history.edits.count == second.history.edits.count)
        #expect(fs.contents(copy) == formatOne, "seed \(seed): a later session's end touched the format-1 copy")
    }

    /// Many short sessions on a long history: each end appends a state while
    /// fewer than `statesBeforeCompaction` are there, then compacts instead,
    /// so the file never holds more than that many copies of the text, and
    /// every reopening has the whole history and a current state.
    @Test func manySessionsDoNotPileUpStates() throws {
        let seed = Self.seeds[0]
        var g = SeededRandom(seed: seed)
        let fs = PowerCutFileSystem()
        let file = "/d/many.txt", sidecar = OpLog.sidecarPath(for: file)
        fs.install(file, Array("start\n".utf8))
        var edits = 1  // the file's text, the first edit
        var sizes: [Int] = []
        for session in 0 ..< 12 {
            let s = try StoredDocument(file: file, replica: ReplicaID(UInt64(10 + session)), author: "me", fs: fs)
            #expect(s.history.edits.count == edits, "seed \(seed), session \(session): the history lost edits")
            let count = session == 0 ? StateSnapshot.minimumEdits + 5 : 3
            for i in 0 ..< count {
                if let op = RandomHistory.randomEdit(&s.doc, &g) { s.record([op], time: Int64(session * 10_000 + i)); edits += 1 }
            }
            try s.flush()
            try s.compactIfLong(s.doc)
            #expect(s.log.stateRecords <= StoredDocument.statesBeforeCompaction, "seed \(seed), session \(session)")
            let loaded = try OpLog.load(path: sidecar, fs: fs)
            #expect(loaded.stateRecords == s.log.stateRecords, "seed \(seed), session \(session): the count is not the file's")
            #expect(loaded.stateRecords <= StoredDocument.statesBeforeCompaction, "seed \(seed), session \(session): \(loaded.stateRecords) states")
            #expect(OpLog.currentState(in: fs.contents(sidecar)!)?.text == Array(s.doc.text.utf8), "seed \(seed), session \(session)")
            sizes.append(fs.contents(sidecar)!.count)
        }
        // It compacted at least once: some session's end made the file smaller.
        #expect(zip(sizes, sizes.dropFirst()).contains { $1 < $0 }, "seed \(seed): never compacted: \(sizes)")
    }
}
