import Testing
import WeaveCore
import WeaveHistory
import WeaveTestSupport
@testable import WeaveStore

/// Opening a document leaves its snapshot's edits encoded (issue 34: the
/// first screen of a 260k-edit history without building 260k edits). These
/// check that what is built later is exactly what an eager load gives, that
/// damage is found on opening either way, and that typing, saving and ending
/// a session build nothing.
@Suite struct LazyHistoryTests {
    static let seeds: [UInt64] = [34_001, 34_002, 34_003, 34_004]

    /// A random two-replica history, as a file: a snapshot of its first
    /// `snapshotEdits` edits, then the rest as edit records, with an author
    /// record and a text mark among them.
    struct Made {
        var doc: RGA
        var history = History()
        var bytes: [UInt8] = []
        var snapshotEdits = 0
    }

    static func make(seed: UInt64, edits: Int, snapshotEdits: Int, state: Bool = false) throws -> Made {
        var g = SeededRandom(seed: seed)
        let me = ReplicaID(1), other = ReplicaID(2)
        var doc = RGA(replica: me), peer = RGA(replica: other)
        var history = History(authors: [me: Author(replica: me, name: "me", colour: 1),
                                        other: Author(replica: other, name: "peer", colour: 2)])
        var records: [[UInt8]] = []
        var snapshot: [UInt8]?
        var inSnapshot = 0
        var time: Int64 = 1_700_000_000_000
        for k in 0 ..< edits {
            if k == snapshotEdits {
                snapshot = Snapshot.encode(log: doc.log, history: history, mark: nil)
                inSnapshot = history.edits.count
            }
            time += Int64(g.int(1 ... 5000))
            var ops: [Operation] = []
            if g.chance(0.2) {
                for _ in 0 ..< g.int(1 ... 3) {
                    if let op = randomEdit(&peer, &g) { ops.append(op) }
                }
                try doc.receive(contentsOf: ops)
                try peer.receive(contentsOf: doc.operations(since: peer.version))
            } else if let op = randomEdit(&doc, &g) {
                ops = [op]
                try peer.receive(contentsOf: [op])
            }
            guard !ops.isEmpty else { continue }
            history.edits.append(Edit(time: time, ops: ops))
            if snapshot != nil { records.append(OpLogFormat.record(OpLogFormat.editPayload(time: time, ops: ops))) }
            if k == snapshotEdits + 3 {
                let late = Author(replica: ReplicaID(3), name: "late", colour: 3)
                history.authors[late.replica] = late
                records.append(OpLogFormat.record(OpLogFormat.authorPayload(late)))
            }
        }
        if snapshot == nil {
            snapshot = Snapshot.encode(log: doc.log, history: history, mark: nil)
            inSnapshot = history.edits.count
        }
        var bytes = OpLog.fileBytes(snapshot: snapshot!, state: nil)
        for r in records { bytes += r }
        bytes += OpLogFormat.record(OpLogFormat.textMarkPayload(TextMark(text: doc.text, edits: history.edits.count)))
        if state {
            bytes = OpLog.fileBytes(snapshot: Snapshot.encode(log: doc.log, history: history, mark: nil),
                                    state: StateSnapshot(of: doc, edits: history.edits.count))
        }
        return Made(doc: doc, history: history, bytes: bytes, snapshotEdits: state ? history.edits.count : inSnapshot)
    }

    static func randomEdit(_ d: inout RGA, _ g: inout SeededRandom) -> Operation? {
        if d.count == 0 || g.chance(0.6) {
            return d.insert(g.text(g.int(1 ... 5)), at: g.int(0 ... d.count))
        }
        let at = g.int(0 ..< d.count)
        return d.delete(at: at, length: min(g.int(1 ... 4), d.count - at))
    }

    /// Lazily loaded, then built: the same history, log, mark and counts as
    /// an eager load, and the version found while reading the encoded edits
    /// is the version after them.
    @Test(arguments: seeds) func aLazyLoadBuildsTheEagerHistory(seed: UInt64) throws {
        let m = try Self.make(seed: seed, edits: 400, snapshotEdits: 300)
        let eager = try OpLog.parse(m.bytes, path: "h")
        var lazy = try OpLog.parse(m.bytes, path: "h", lazyHistory: true)
        #expect(eager.history == m.history)
        #expect(eager.pendingEdits == nil)
        let pending = try #require(lazy.pendingEdits)
        #expect(pending.count == m.snapshotEdits)
        #expect(pending.version == m.history.version(after: m.snapshotEdits))
        #expect(lazy.history.edits == Array(m.history.edits[m.snapshotEdits...]), "the edits after the snapshot are built")
        #expect(lazy.history.authors == m.history.authors, "authors are read at once")
        #expect(lazy.editCount == m.history.edits.count)
        #expect(Array(lazy.log) == Array(eager.log))
        #expect(lazy.textMark == eager.textMark && lazy.tailRecords == eager.tailRecords && lazy.validLength == eager.validLength)
        lazy.loadHistory()
        #expect(lazy.pendingEdits == nil)
        #expect(lazy.history == eager.history)
        #expect(lazy.editCount == eager.history.edits.count)
    }

    /// Every byte of the snapshot's edits changed in turn (the record made
    /// whole again: inflated, changed, deflated, checksummed): a lazy load
    /// refuses exactly what an eager one refuses, with the same error, and
    /// what it accepts builds the same history. Damage is never left for
    /// time travel to find.
    @Test func damagedEditsAreFoundOnLoadingEitherWay() throws {
        let m = try Self.make(seed: Self.seeds[0], edits: 60, snapshotEdits: 60)
        // The snapshot record's payload: type, raw length, zlib data.
        let start = OpLogFormat.headerSize + OpLogFormat.recordHeaderSize
        guard case .valid(let payload, _) = OpLog.recordAt(m.bytes, OpLogFormat.headerSize) else {
            Issue.record("no snapshot record"); return
        }
        #expect(payload.lowerBound == start)
        var r = ByteReader(m.bytes, range: payload.lowerBound + 1 ..< payload.upperBound, base: 0)
        let rawLength = try r.count("length", atMost: Int.max)
        let raw = try #require(m.bytes.withUnsafeBytes {
            Snapshot.inflate(UnsafeRawBufferPointer(rebasing: $0[r.offset ..< payload.upperBound]), size: rawLength)
        })
        let tail = Array(m.bytes[payload.upperBound...])
        var refused = 0
        for i in 0 ..< raw.count {
            for delta: UInt8 in [0x01, 0x80] {
                var changed = raw
                changed[i] ^= delta
                var w = ByteWriter()
                w.bytes.append(OpLogFormat.RecordType.snapshot.rawValue)
                w.varint(changed.count)
                w.append(Snapshot.deflate(changed))
                let file = OpLogFormat.header() + OpLogFormat.record(w.bytes) + tail
                let eager = Result { try OpLog.parse(file, path: "h") }
                let lazy = Result { () throws -> LoadedLog in
                    var l = try OpLog.parse(file, path: "h", lazyHistory: true)
                    l.loadHistory()
                    return l
                }
                switch (eager, lazy) {
                case (.success(let e), .success(let l)):
                    #expect(e.history == l.history, "byte \(i) ^ \(delta): another history")
                    #expect(Array(e.log) == Array(l.log), "byte \(i) ^ \(delta): another log")
                case (.failure(let e), .failure(let l)):
                    refused += 1
                    #expect("\(e)" == "\(l)", "byte \(i) ^ \(delta)")
                default:
                    Issue.record("byte \(i) ^ \(delta): eager \(eager), lazy \(lazy)")
                }
            }
        }
        #expect(refused > 0, "no change was refused: the test changes nothing")
    }

    /// Through the store: a long history opens with its edits encoded;
    /// typing, saving, flushing and the session's end (a state written)
    /// build nothing; asked for, the history is what an eager load of the
    /// file gives, and time travel and blame read the same from it.
    @Test(arguments: seeds) func aStoreOpenedLazilyHasTheSameHistory(seed: UInt64) throws {
        let m = try Self.make(seed: seed, edits: StateSnapshot.minimumEdits + 200, snapshotEdits: 0, state: true)
        let fs = PowerCutFileSystem()
        let file = "/d/a.txt", sidecar = OpLog.sidecarPath(for: file)
        fs.install(file, Array(m.doc.text.utf8))
        fs.install(sidecar, m.bytes)
        let s = try StoredDocument(file: file, replica: ReplicaID(9), author: "me", fs: fs)
        #expect(!s.isHistoryLoaded, "seed \(seed): opening built the edits")
        #expect(s.editCount == m.history.edits.count)
        #expect(s.messages.isEmpty, "\(s.messages)")
        #expect(s.doc.text == m.doc.text)
        var g = SeededRandom(seed: seed)
        for i in 0 ..< 30 {
            if let op = Self.randomEdit(&s.doc, &g) { s.record([op], time: Int64(1_800_000_000_000 + i)) }
        }
        try s.savePlainText()
        try s.flush()
        #expect(!s.log.hasCurrentState)
        try s.compactIfLong(s.doc)
        #expect(s.log.hasCurrentState, "seed \(seed): no state written at the end (the version of the encoded edits is wrong?)")
        #expect(!s.isHistoryLoaded, "seed \(seed): typing, saving or the session's end built the edits")
        #expect(OpLog.currentState(in: fs.contents(sidecar)!)?.text == Array(s.doc.text.utf8))
        let count = s.editCount

        let eager = try OpLog.load(path: sidecar, fs: fs)
        let history = s.history
        #expect(s.isHistoryLoaded)
        #expect(history == eager.history, "seed \(seed): the history built later is not the file's")
        #expect(history.edits.count == count)
        #expect(Array(history.edits.prefix(m.history.edits.count)) == m.history.edits)
        let lazyTimeline = Timeline(doc: s.doc, history: history)
        let eagerTimeline = Timeline(doc: try eager.document(as: ReplicaID(9)), history: eager.history)
        for n in stride(from: 0, through: count, by: max(1, count / 17)) + [count] {
            #expect(lazyTimeline.text(after: n) == eagerTimeline.text(after: n), "seed \(seed): time travel to \(n)")
            #expect(lazyTimeline.blame(after: n).map { $0.authors } == eagerTimeline.blame(after: n).map { $0.authors }, "seed \(seed): blame at \(n)")
        }
        #expect(lazyTimeline.text(after: count) == s.doc.text)
    }

    /// The mark of a text hashed from its scalars (the editor's buffer, on
    /// opening) is the mark of its `String`: ASCII, two-, three- and
    /// four-byte scalars, empty, and long enough for several chunks.
    @Test func aMarkFromScalarsIsTheMarkOfTheText() {
        var g = SeededRandom(seed: Self.seeds[2])
        var texts = ["", "a", "é", "日本", "🙂x", "line\nnext\r\n"]
        texts.append(String(String.UnicodeScalarView(g.text(70_000))))
        texts.append(String(repeating: "abc\n", count: 30_000) + "日")
        for t in texts {
            let scalars = ScalarArray(Array(t.unicodeScalars))
            #expect(TextMark(scalars: scalars, edits: 3) == TextMark(text: t, edits: 3), "\(t.prefix(20))")
        }
    }

    /// A state the log does not make is still found and replaced on a lazy
    /// open (its check needs the edit count and the document, not the edits).
    @Test func aWrongStateIsStillReplacedOnOpening() throws {
        let m = try Self.make(seed: Self.seeds[1], edits: StateSnapshot.minimumEdits + 10, snapshotEdits: 0, state: true)
        let wrong = StateSnapshot(edits: m.history.edits.count, version: m.doc.version, text: Array("not it".utf8))
        let bytes = OpLog.fileBytes(snapshot: Snapshot.encode(log: m.doc.log, history: m.history, mark: nil), state: wrong)
        let fs = PowerCutFileSystem()
        fs.install("/d/a.txt", Array(m.doc.text.utf8))
        fs.install(OpLog.sidecarPath(for: "/d/a.txt"), bytes)
        let s = try StoredDocument(file: "/d/a.txt", author: "again", fs: fs)
        #expect(s.messages.contains { $0.contains("stored state did not match") }, "\(s.messages)")
        #expect(OpLog.currentState(in: fs.contents(OpLog.sidecarPath(for: "/d/a.txt"))!)?.text == Array(m.doc.text.utf8))
        #expect(s.history.edits == m.history.edits)
    }
}
