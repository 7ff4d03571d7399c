import Testing
import WeaveTestSupport
import WeaveCore
import WeaveTrace
@testable import WeaveHistory

/// The change index behind `weave log`: each edit's inserted and deleted
/// elements, found without scanning the document per edit.
struct ChangeIndexTests {
    /// Random edits by two authors, recorded one by one: for every edit the
    /// index gives exactly what the per-edit scan gives, and a whole range's
    /// deleted text reads in document order (a run of Backspaces gives the word).
    @Test(arguments: [TestSeed.pick(21), 22, 23])
    func theIndexAgreesWithAScanOfEveryElement(seed: UInt64) throws {
        var g = SeededRandom(seed: seed)
        var a = RGA(replica: ReplicaID(1)), b = RGA(replica: ReplicaID(2))
        var h = History()
        for step in 0 ..< 400 {
            let useA = g.chance(0.6)
            var r = useA ? a : b
            let n = r.count
            let op: Operation?
            if n > 0 && g.chance(0.35) {
                let len = min(n, g.int(1 ... 4))
                op = r.delete(at: g.int(0 ... n - len), length: len)
            } else {
                op = r.insert(g.text(g.int(1 ... 5)), at: g.int(0 ... n))
            }
            if let op {
                h.edits.append(Edit(time: Int64(step) * 1000, ops: [op]))
                if useA { a = r; try b.receive(op) } else { b = r; try a.receive(op) }
            }
        }
        let t = Timeline(doc: a, history: h)
        let index = ChangeIndex(t)
        for k in 0 ..< t.editCount {
            let scan = t.change(of: k)
            let fast = t.change(of: k ..< k + 1, index: index)
            #expect(fast == scan, "seed \(seed) edit \(k)")
        }
        let bursts = t.bursts(index: index)
        #expect(bursts.first?.lowerBound == 0 && bursts.last?.upperBound == t.editCount, "seed \(seed): bursts cover the history")
        for (x, y) in zip(bursts, bursts.dropFirst()) { #expect(x.upperBound == y.lowerBound && !x.isEmpty, "seed \(seed)") }
        for r in bursts { #expect(Set(r.map { h.edits[$0].author }).count == 1, "seed \(seed): a burst has one author") }
    }

    /// Backspacing a word one key at a time: one burst, whose deleted text is
    /// the word as it stood (not reversed); a pause longer than the gap or a
    /// jump far away starts a new burst; without times only place and author count.
    @Test func burstsFollowPauseAuthorAndPlace() throws {
        var a = RGA(replica: ReplicaID(1))
        var h = History()
        func edit(_ op: Operation?, _ time: Int64) { h.edits.append(Edit(time: time, ops: [op!])) }
        edit(a.insert(Array(String(repeating: "x", count: 200).unicodeScalars), at: 0), 0)
        edit(a.insert(Array("self-aware".unicodeScalars), at: 200), 1_000)
        for i in 0 ..< 10 { edit(a.delete(at: 209 - i, length: 1), 2_000 + Int64(i) * 100) }
        edit(a.insert(["!"], at: 200), 200_000)          // after a pause of more than 60 s
        edit(a.insert(["?"], at: 0), 200_100)            // far from the last place
        let t = Timeline(doc: a, history: h)
        let index = ChangeIndex(t)
        let bursts = t.bursts(index: index)
        #expect(bursts == [0 ..< 12, 12 ..< 13, 13 ..< 14], "\(bursts)")
        #expect(t.change(of: 1 ..< 12, index: index) == (inserted: "", deleted: ""), "typed and removed within the range: no change")
        #expect(t.change(of: 2 ..< 12, index: index).deleted == "self-aware")
        #expect(t.bursts(gap: 1_000_000, index: index) == [0 ..< 13, 13 ..< 14], "a longer gap keeps the pause inside")
        // The same edits without times: the pause no longer splits, the jump still does.
        var untimed = h
        for i in untimed.edits.indices { untimed.edits[i].time = 0 }
        #expect(Timeline(doc: a, history: untimed).bursts() == [0 ..< 13, 13 ..< 14])
    }

    @Test func blameCountsTheAuthorsItCannotShow() {
        #expect(authorList(["alice", "bob"], width: 24) == "alice,bob")
        let many = ["alice", "bob", "carol", "dave", "erin", "frank"]
        let s = authorList(many, width: 24)
        #expect(s == "alice,bob,carol,dave,+2", "\(s)")
        #expect(s.count <= 24)
        #expect(authorList(["a-very-long-author-name-indeed", "bob"], width: 24) == "a-very-long-author-n…,+1")
        #expect(authorList(["a-very-long-author-name-indeed"], width: 24).count == 24)
        #expect(authorList([], width: 24) == "")
    }

    @Test func datesAreFormattedInUTCWithoutFoundation() {
        #expect(formatUTC(milliseconds: 0) == "1970-01-01 00:00:00.000")
        #expect(formatUTC(milliseconds: 1_704_067_199_999) == "2023-12-31 23:59:59.999")
        #expect(formatUTC(milliseconds: 951_782_400_123) == "2000-02-29 00:00:00.123")
        #expect(formatUTC(milliseconds: -1) == "1969-12-31 23:59:59.999")
    }

    /// automerge-paper (259,778 edits, no times): the whole log is built from the
    /// index, splits into many bursts on place, and every burst's text is what a
    /// plain replay of those patches inserted.
    @Test(.enabled(if: TestTraces.runnable("automerge-paper.json.gz"), "automerge-paper.json.gz is not in $WEAVE_TRACES or ../shared/traces"))
    func theLongestRealHistorySplitsIntoBursts() throws {
        let trace = try EditingTrace.load(path: try TestTraces.path("automerge-paper.json.gz"))
        let (_, history, doc) = try trace.history()
        let t = Timeline(doc: doc, history: history)
        let index = ChangeIndex(t)
        let bursts = t.bursts(index: index)
        #expect(bursts.count > 100, "\(bursts.count) bursts")
        // Each burst's net change accounts for the text's length before and after it.
        var length = 0
        for r in bursts {
            let c = t.change(of: r, index: index)
            length += c.inserted.unicodeScalars.count - c.deleted.unicodeScalars.count
            #expect(length == t.scalars(after: r.upperBound).count || r.upperBound % 997 != 0, "after burst \(r)")
        }
        #expect(length == trace.endContent.unicodeScalars.count)
    }
}
