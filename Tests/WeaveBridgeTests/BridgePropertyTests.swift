import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveBridge
@testable import WeaveEditor

/// The editor protocol's reconciliation against a plain model: an editor
/// that only keeps its buffer and the two counters (what a plugin does), a
/// peer editing the same document, and both directions of the pipe delayed
/// at random. Whatever the interleaving, once everything is delivered the
/// editor shows the document's text, and the peer holds the same.
@Suite struct BridgePropertyTests {
    /// What a plugin keeps: its buffer, the edits it sent, the client revision it applied.
    struct ModelEditor {
        var text: [Unicode.Scalar]
        var sent = 0
        var seen = 0

        func offset(_ p: BridgePosition) -> Int {
            var line = 0, i = 0
            while line < p.line { i = text[i...].firstIndex(of: "\n")! + 1; line += 1 }
            return i + p.column
        }

        func position(_ o: Int) -> BridgePosition {
            var line = 0, start = 0
            for i in 0 ..< o where text[i] == "\n" { line += 1; start = i + 1 }
            return BridgePosition(line: line, column: o - start)
        }

        mutating func apply(_ c: BridgeChange) {
            let a = offset(c.start), b = offset(c.end)
            text.replaceSubrange(a ..< b, with: Array(c.text.unicodeScalars))
        }
    }

    struct EditorEdit { var changes: [BridgeChange]; var revision: Int }
    struct ClientEdit { var revision: Int; var editorRevision: Int; var changes: [BridgeChange] }

    static func run(seed: UInt64, steps: Int, peerEdits: Bool) throws {
        var g = SeededRandom(seed: seed)
        var start = RGA(replica: ReplicaID(1))
        let first = start.insert(Array("hello\nworld\n".unicodeScalars), at: 0)!
        var doc = DocumentEditing(rga: start)
        var peer = RGA(replica: ReplicaID(2))
        try peer.receive(contentsOf: [first])
        var bridge = BridgeDocument(showing: doc.rga)
        var editor = ModelEditor(text: doc.rga.scalars)
        var toClient: [EditorEdit] = []
        var toEditor: [ClientEdit] = []
        var toPeer: [Operation] = []
        var fromPeer: [Operation] = []
        /// The editor's own edits replayed on its own text alone (checked when no peer edits).
        func editorEdits() -> EditorEdit {
            var changes: [BridgeChange] = []
            for _ in 0 ..< g.int(1 ... 2) {
                let n = editor.text.count
                let a = g.int(0 ... n)
                let b = g.chance(0.4) ? min(n, a + g.int(0 ... 4)) : a
                let text = g.chance(0.8) ? g.text(g.int(1 ... 3)) : []
                let change = BridgeChange(start: editor.position(a), end: editor.position(b), text: String(String.UnicodeScalarView(text)))
                editor.apply(change)
                changes.append(change)
            }
            editor.sent += 1
            return EditorEdit(changes: changes, revision: editor.seen)
        }
        func catchUp() {
            if let c = bridge.catchUp(doc.rga) { toEditor.append(ClientEdit(revision: c.revision, editorRevision: c.editorRevision, changes: c.changes)) }
        }
        func deliverToClient() throws {
            let e = toClient.removeFirst()
            toPeer += try bridge.take(e.changes, revision: e.revision, into: &doc)
            catchUp()
        }
        func deliverToEditor() {
            let c = toEditor.removeFirst()
            guard c.editorRevision == editor.sent else { return }  // it has typed since: dropped, sent again later
            for change in c.changes { editor.apply(change) }
            editor.seen = c.revision
        }
        func deliverFromPeer() throws {
            for op in fromPeer { _ = try doc.receive(op) }
            fromPeer = []
            catchUp()
        }
        for _ in 0 ..< steps {
            switch g.int(0 ..< 6) {
            case 0, 1: toClient.append(editorEdits())
            case 2: if !toClient.isEmpty { try deliverToClient() }
            case 3: if !toEditor.isEmpty { deliverToEditor() }
            case 4:
                guard peerEdits else { break }
                let n = peer.count
                if n > 0 && g.chance(0.4) {
                    let a = g.int(0 ..< n)
                    fromPeer.append(peer.delete(at: a, length: min(n - a, g.int(1 ... 3)))!)
                } else {
                    fromPeer.append(peer.insert(g.text(g.int(1 ... 3)), at: g.int(0 ... n))!)
                }
            default:
                if g.chance(0.5) { try deliverFromPeer() }
                try peer.receive(contentsOf: toPeer)
                toPeer = []
            }
        }
        // Quiesce: everything delivered, the editor typing no more.
        var rounds = 0
        while !toClient.isEmpty || !toEditor.isEmpty || !fromPeer.isEmpty || !toPeer.isEmpty {
            rounds += 1
            #expect(rounds < 1000, "seed \(seed): no quiescence")
            if rounds >= 1000 { return }
            while !toClient.isEmpty { try deliverToClient() }
            try deliverFromPeer()
            try peer.receive(contentsOf: toPeer)
            toPeer = []
            while !toEditor.isEmpty { deliverToEditor() }
        }
        let docText = doc.rga.scalars
        #expect(editor.text == docText, "seed \(seed): editor \(String(String.UnicodeScalarView(editor.text)).debugDescription) vs document \(doc.rga.text.debugDescription)")
        #expect(peer.text == doc.rga.text, "seed \(seed): peer and client differ")
        #expect(doc.buffer.scalars == docText, "seed \(seed): the client's text view drifted")
        #expect(bridge.editorText == doc.rga.text)
    }

    @Test(arguments: Array(UInt64(1) ... 40))
    func theEditorEndsShowingTheDocument(seed: UInt64) throws {
        try Self.run(seed: TestSeed.pick(seed), steps: 120, peerEdits: true)
    }

    /// Without peers, every edit the editor made (whatever the client was
    /// sending meanwhile) is exactly in the document: positions resolve to
    /// what the editor saw.
    @Test(arguments: Array(UInt64(100) ... 120))
    func aloneTheDocumentIsTheEditorsText(seed: UInt64) throws {
        try Self.run(seed: TestSeed.pick(seed), steps: 120, peerEdits: false)
    }

    @Test func aStaleOrForeignRevisionIsRefusedAndChangesNothing() throws {
        var rga = RGA(replica: ReplicaID(1))
        _ = rga.insert(Array("ab\n".unicodeScalars), at: 0)
        var doc = DocumentEditing(rga: rga)
        var bridge = BridgeDocument(showing: doc.rga)
        let change = BridgeChange(start: .init(line: 0, column: 1), end: .init(line: 0, column: 1), text: "X")
        #expect(throws: BridgeDocument.Failure.unknownRevision(5, latest: 0)) { try bridge.take([change], revision: 5, into: &doc) }
        let far = BridgeChange(start: .init(line: 0, column: 4), end: .init(line: 0, column: 4), text: "X")
        #expect(throws: BridgeDocument.Failure.outOfRange(.init(line: 0, column: 4))) { try bridge.take([change, far], revision: 0, into: &doc) }
        #expect(doc.rga.text == "ab\n")
        _ = try bridge.take([change], revision: 0, into: &doc)
        #expect(doc.rga.text == "aXb\n")
    }

    @Test func framesSplitAnywhereAreReadWhole() throws {
        let bodies = [Array(#"{"a":1}"#.utf8), Array("{\"t\":\"日本🙂\"}".utf8), []]
        let wire = bodies.flatMap(BridgeFramer.frame)
        for cut in 0 ... wire.count {
            var f = BridgeFramer()
            var got: [[UInt8]] = []
            f.append(wire[..<cut])
            while let b = try f.next() { got.append(b) }
            f.append(wire[cut...])
            while let b = try f.next() { got.append(b) }
            #expect(got == bodies, "cut at \(cut)")
        }
        var bad = BridgeFramer()
        bad.append(Array("Content-Type: x\r\n\r\n".utf8))
        #expect(throws: BridgeFramer.Failure.noContentLength) { try bad.next() }
        var huge = BridgeFramer()
        huge.append(Array("Content-Length: 99999999999\r\n\r\n".utf8))
        #expect(throws: BridgeFramer.Failure.bodyTooLarge(99_999_999_999, limit: BridgeFramer.maxBody)) { try huge.next() }
    }
}
