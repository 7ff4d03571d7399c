import Testing
import WeaveTestSupport
import WeaveCore
@testable import WeaveHistory

/// `weave show` without `--at` prints the document's visible text instead of
/// building a timeline (16 bytes per element) when the history's edits cover
/// the whole log. The two must agree: the timeline's text after every edit is
/// the document's text, and the edits' version is the document's.
struct LatestTextTests {
    @Test(arguments: 0 ..< 10) func theTimelinesLastTextIsTheDocumentsText(seed: Int) throws {
        var rng = SeededRandom(seed: TestSeed.pick(UInt64(seed)))
        var a = RGA(replica: ReplicaID(1)), b = RGA(replica: ReplicaID(2))
        var history = History()
        var time: Int64 = 0
        for _ in 0 ..< rng.int(10 ... 200) {
            time += 1
            let here = rng.chance(0.5)
            if rng.chance(0.1) {
                // A merge, recorded as the batch received (as a peer's catch-up is).
                let ops = here ? b.operations(since: a.version) : a.operations(since: b.version)
                if here { try a.receive(contentsOf: ops) } else { try b.receive(contentsOf: ops) }
                if here { history.edits.append(Edit(time: time, ops: ops)) }
                continue
            }
            var doc = here ? a : b
            let op: Operation?
            if doc.count > 0 && rng.chance(0.3) {
                let at = rng.int(0 ..< doc.count)
                op = doc.delete(at: at, length: rng.int(1 ... min(4, doc.count - at)))
            } else {
                op = doc.insert(rng.text(rng.int(1 ... 4)), at: rng.int(0 ... doc.count))
            }
            if here { a = doc; if let op { history.edits.append(Edit(time: time, ops: [op])) } } else { b = doc }
        }
        let t = Timeline(doc: a, history: history)
        #expect(history.version(after: history.edits.count) == a.version, "seed \(rng.seed)")
        #expect(t.text(after: t.editCount) == a.text, "seed \(rng.seed)")
        #expect(a.visibleScalars.string == a.text, "seed \(rng.seed)")
        var bytes: [UInt8] = []
        a.visibleScalars.forEachUTF8Chunk { bytes.append(contentsOf: $0) }
        #expect(bytes == Array(t.text(after: t.editCount).utf8), "seed \(rng.seed)")
    }
}
