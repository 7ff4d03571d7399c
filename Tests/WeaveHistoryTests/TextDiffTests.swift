import Testing
import WeaveCore
@testable import WeaveHistory
import WeaveTestSupport

/// `weave diff` compares texts (issue 28, defect 8).
@Suite struct TextDiffTests {
    func old(_ p: [Timeline.Piece]) -> String {
        p.map { if case .same(let s) = $0 { return s }; if case .deleted(let s) = $0 { return s }; return "" }.joined()
    }
    func new(_ p: [Timeline.Piece]) -> String {
        p.map { if case .same(let s) = $0 { return s }; if case .inserted(let s) = $0 { return s }; return "" }.joined()
    }
    func changed(_ p: [Timeline.Piece]) -> Int {
        p.reduce(0) { n, piece in
            switch piece {
            case .same: return n
            case .inserted(let s), .deleted(let s): return n + s.unicodeScalars.count
            }
        }
    }
    func kind(_ p: Timeline.Piece) -> Int { switch p { case .same: 0; case .inserted: 1; case .deleted: 2 } }

    /// The laws, on random pairs of texts where the second is the first edited a little.
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func lawsOnRandomEdits(fixed: UInt64) {
        let seed = TestSeed.pick(fixed)
        var r = SeededRandom(seed: seed)
        for round in 0 ..< 200 {
            var a = r.text(r.int(0 ... 300))
            var b = a
            let edits = r.int(0 ... 6)
            for _ in 0 ..< edits {
                if !b.isEmpty && r.chance(0.5) {
                    let at = r.int(0 ..< b.count)
                    b.removeSubrange(at ..< min(b.count, at + r.int(1 ... 8)))
                } else {
                    b.insert(contentsOf: r.text(r.int(1 ... 8)), at: r.int(0 ... b.count))
                }
            }
            let emptied = r.chance(0.1)
            if emptied { a = [] }
            let sa = String(String.UnicodeScalarView(a)), sb = String(String.UnicodeScalarView(b))
            let p = TextDiff.pieces(from: sa, to: sb)
            #expect(old(p) == sa, "seed \(seed) round \(round)")
            #expect(new(p) == sb, "seed \(seed) round \(round)")
            for (x, y) in zip(p, p.dropFirst()) { #expect(kind(x) != kind(y), "seed \(seed) round \(round): neighbours of one kind") }
            if sa == sb { #expect(p.allSatisfy { kind($0) == 0 }, "seed \(seed)") }
            // Myers on the scalars is minimal: never more changed than the edits touched.
            let steps = TextDiff.script(a.map { Int($0.value) }, b.map { Int($0.value) }, maxEdits: 10_000)
            #expect(emptied || steps.filter { $0 != .same }.count <= edits * 8, "seed \(seed) round \(round)")
            // Lines first, then characters: at most a line's worth more per edit.
            let longest = TextDiff.lines(sa).map(\.unicodeScalars.count).max() ?? 0
            if !emptied { #expect(changed(p) <= edits * (8 + 2 * longest), "seed \(seed) round \(round): \(changed(p)) changed for \(edits) edits") }
        }
    }

    @Test func examples() {
        #expect(TextDiff.pieces(from: "", to: "") == [])
        #expect(TextDiff.pieces(from: "same\n", to: "same\n") == [.same("same\n")])
        #expect(TextDiff.pieces(from: "a\nb\nc\n", to: "a\nc\n") == [.same("a\n"), .deleted("b\n"), .same("c\n")])
        #expect(TextDiff.pieces(from: "Option A is best\n", to: "Option B is best\n")
                == [.same("Option "), .deleted("A"), .inserted("B"), .same(" is best\n")])
    }

    /// Past the bounds a stretch is shown whole: still right, and fast.
    @Test func unrelatedLargeTextsStayBounded() {
        var r = SeededRandom(seed: 7)
        let a = String(String.UnicodeScalarView(r.text(40_000))), b = String(String.UnicodeScalarView(r.text(40_000)))
        let p = TextDiff.pieces(from: a, to: b)
        #expect(old(p) == a && new(p) == b)
    }

    /// The defect: a cut and its undo re-insert the same text as new elements;
    /// the old element walk showed it deleted and inserted. The texts are equal.
    @Test func aCutAndItsUndoShowNothing() throws {
        var doc = RGA(replica: ReplicaID(1))
        var h = History()
        let line = "Option A is the one we take.\n"
        h.edits.append(Edit(time: 0, ops: [doc.insert("intro\n" + line + "end\n", at: 0)!]))
        h.edits.append(Edit(time: 1, ops: [doc.delete(at: 6, length: line.unicodeScalars.count)!]))   // the cut
        h.edits.append(Edit(time: 2, ops: [doc.insert(line, at: 6)!]))                              // its undo
        let t = Timeline(doc: doc, history: h)
        #expect(t.text(after: 1) == t.text(after: 3))
        #expect(t.diff(from: 1, to: 3) == [.same("intro\n" + line + "end\n")])
    }
}
