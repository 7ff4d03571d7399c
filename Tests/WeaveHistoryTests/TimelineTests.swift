import Testing
import WeaveTestSupport
import WeaveCore
import WeaveTrace
@testable import WeaveHistory
#if canImport(Glibc)
import Glibc
#endif

struct TimelineTests {
    /// Three replicas edit and exchange operations at random; an observer records
    /// each edit it applies and the text right after. The timeline must show
    /// exactly that text at 1,000 random points.
    @Test(arguments: [11, 12, 13]) func seekingShowsTheTextRecordedLive(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed))
        let ids = (1 ... 3).map { ReplicaID(UInt64($0)) }
        var replicas = ids.map { RGA(replica: $0) }
        var observer = RGA(replica: ReplicaID(99))
        var history = History()
        var recorded = [""]
        let letters = Array("abcdefé日🙂 \n".unicodeScalars)
        for step in 0 ..< 600 {
            let i = Int(rng.next() % 3)
            if rng.next() % 3 == 0 {
                // The observer receives everything replica i has that it lacks: one edit.
                let ops = replicas[i].operations(since: observer.version)
                guard !ops.isEmpty else { continue }
                try observer.receive(contentsOf: ops)
                history.edits.append(Edit(time: Int64(step), ops: ops))
                recorded.append(observer.text)
            } else if rng.next() % 4 == 0 {
                // Replicas sync with each other now and then.
                let j = Int(rng.next() % 3)
                try replicas[j].receive(contentsOf: replicas[i].operations(since: replicas[j].version))
            } else {
                let n = replicas[i].count
                if n > 0 && rng.next() % 3 == 0 {
                    let len = min(n, Int(rng.next() % 4) + 1)
                    replicas[i].delete(at: Int(rng.next() % UInt64(n - len + 1)), length: len)
                } else {
                    let text = (0 ..< Int(rng.next() % 5) + 1).map { _ in letters[Int(rng.next() % UInt64(letters.count))] }
                    replicas[i].insert(text, at: Int(rng.next() % UInt64(n + 1)))
                }
            }
        }
        let timeline = Timeline(doc: observer, history: history)
        #expect(timeline.editCount == recorded.count - 1)
        for _ in 0 ..< 1000 {
            let n = Int(rng.next() % UInt64(recorded.count))
            #expect(timeline.text(after: n) == recorded[n], "seed \(seed), point \(n)")
        }
        #expect(timeline.text(after: timeline.editCount) == observer.text)
    }

    @Test func diffBlameBurstsAndConcurrency() throws {
        var a = RGA(replica: ReplicaID(1)), b = RGA(replica: ReplicaID(2))
        var h = History()
        func local(_ op: Operation?, _ t: Int64) { h.edits.append(Edit(time: t, ops: [op!])) }
        local(a.insert("hello\n", at: 0), 0)
        local(a.insert("world\n", at: 6), 1)
        try b.receive(contentsOf: a.operations(since: b.version))
        let fromB = b.insert("big ", at: 6)!          // b edits without seeing a's next edit
        local(a.delete(at: 0, length: 1), 2)            // a deletes "h"
        local(a.insert("H", at: 0), 3)
        try a.receive(fromB)
        h.edits.append(Edit(time: 4, ops: [fromB]))
        let t = Timeline(doc: a, history: h)
        #expect(t.text(after: 5) == "Hello\nbig world\n")
        #expect(t.diff(from: 2, to: 5) == [.deleted("h"), .inserted("H"), .same("ello\n"), .inserted("big "), .same("world\n")])
        #expect(t.change(of: 2) == (inserted: "", deleted: "h"))
        let blame = t.blame(after: 5)
        #expect(blame.map(\.line) == ["Hello", "big world"])
        #expect(blame[1].authors == [ReplicaID(1), ReplicaID(2)])
        // Edits 0-1 type at the start; 2-3 act at the start again: one place, one author.
        #expect(t.bursts() == [0 ..< 4, 4 ..< 5])
        let index = ChangeIndex(t)
        #expect(t.change(of: 2 ..< 4, index: index) == (inserted: "H", deleted: "h"))
        #expect(t.change(of: 0 ..< 5, index: index) == (inserted: "Hello\nbig world\n", deleted: ""), "the net change from empty")
        #expect(t.concurrent == [false, false, false, false, true])
    }
}

struct TraceTimelineTests {
    static func trace(_ name: String) throws -> EditingTrace {
        try EditingTrace.load(path: try TestTraces.path(name))
    }

    /// `show --at N` on an imported sequential trace equals a plain string
    /// replay of N transactions.
    @Test(.enabled(if: TestTraces.runnable("automerge-paper.json.gz"), "automerge-paper.json.gz is not in $WEAVE_TRACES or ../shared/traces"))
    func sequentialTracePointsEqualASimpleReplay() throws {
        let trace = try Self.trace("automerge-paper.json.gz")
        let (_, history, doc) = try trace.history()
        let timeline = Timeline(doc: doc, history: history)
        var text: [Unicode.Scalar] = []
        var rng = SeededRandom(seed: 5)
        let points = Set((0 ..< 1000).map { _ in Int(rng.next() % UInt64(trace.transactions.count + 1)) } + [0, trace.transactions.count])
        var n = 0
        for point in points.sorted() {
            while n < point {
                for p in trace.transactions[n].patches {
                    text.replaceSubrange(p.position ..< p.position + p.deleted, with: p.inserted)
                }
                n += 1
            }
            #expect(timeline.scalars(after: point) == text, "point \(point)")
        }
        #expect(timeline.text(after: timeline.editCount) == trace.endContent)
    }

    /// For the concurrent trace, at 1,000 random points the text after N edits
    /// equals the text of a replica that applied exactly those edits' operations,
    /// one edit after another (recorded live at each point).
    @Test(.enabled(if: TestTraces.runnable("friendsforever.json.gz"), "friendsforever.json.gz is not in $WEAVE_TRACES or ../shared/traces"))
    func concurrentTracePointsEqualTheTextRecordedLive() throws {
        let trace = try Self.trace("friendsforever.json.gz")
        let (ops, history, doc) = try trace.history()
        let timeline = Timeline(doc: doc, history: history)
        var rng = SeededRandom(seed: 9)
        let points = Set((0 ..< 1000).map { _ in Int(rng.next() % UInt64(history.edits.count + 1)) })
        var live = RGA(replica: ReplicaID(1234))
        var version = VersionVector()
        var k = 0
        let all = doc.operations(since: VersionVector())
        for point in points.sorted() {
            while k < point {
                for r in history.edits[k].ranges where version[r.replica] < r.start + r.count { version[r.replica] = r.start + r.count }
                k += 1
            }
            try live.receive(contentsOf: doc.operations(from: live.version, to: version))
            #expect(timeline.text(after: point) == live.text, "point \(point)")
        }
        #expect(all.count > 0)
        #expect(ops.count > 0)
        #expect(timeline.concurrent.contains(true))
    }
}
