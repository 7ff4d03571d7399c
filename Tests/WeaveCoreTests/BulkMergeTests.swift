import Testing
import WeaveTestSupport
@testable import WeaveCore

/// `receive(contentsOf:)` defers the tree's visible counts to the end of the
/// batch and finds elements through a hint (`lastPlace`) before the element
/// table. Both must be invisible: after every batch, thrown or not, the tree's
/// counts are exact (`checkInvariants`), positions found through them agree
/// with the text, and the text is what one-by-one receiving gives.
struct BulkMergeTests {
    /// Three replicas edit concurrently (hearing each other now and then); a
    /// newcomer takes all their operations in random batches, shuffled (so
    /// some wait in the causal buffer) and with duplicates. After each batch
    /// it must equal a replica that took the same operations one at a time,
    /// obey every invariant, and place a local edit where a plain array of its
    /// scalars says.
    static func run(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        var authors = (0 ..< 3).map { RGA(replica: ReplicaID(UInt64(100 + $0))) }
        var ops: [Operation] = []
        for _ in 0 ..< 300 {
            let i = rng.int(0 ..< 3)
            let count = authors[i].count
            if count > 0, rng.chance(0.35) {
                let len = min(rng.int(1 ... 12), count)
                let pos = rng.int(0 ... count - len)
                ops.append(authors[i].delete(at: pos, length: len)!)
            } else {
                ops.append(authors[i].insert(rng.text(rng.int(1 ... 15)), at: rng.int(0 ... count))!)
            }
            if rng.chance(0.2) {
                // Someone catches up with someone else: later edits depend on theirs.
                let a = rng.int(0 ..< 3), b = rng.int(0 ..< 3)
                if a != b { try authors[a].receive(contentsOf: authors[b].operations(since: authors[a].version)) }
            }
        }
        var bulk = RGA(replica: ReplicaID(1)), single = RGA(replica: ReplicaID(2))
        var mirror: [Unicode.Scalar] = []
        var left = ops
        left.shuffle(using: &rng)
        var batch = 0
        while !left.isEmpty {
            batch += 1
            let n = min(rng.int(1 ... 60), left.count)
            var part = Array(left.prefix(n))
            left.removeFirst(n)
            if rng.chance(0.3), let again = ops.randomElement(using: &rng) { part.append(again) }  // a duplicate
            try bulk.receive(contentsOf: part)
            for op in part { for e in try single.receive(op) { e.apply(to: &mirror) } }
            try bulk.checkInvariants()
            #expect(bulk.text == single.text, "seed \(seed), batch \(batch): bulk and one-by-one differ")
            #expect(bulk.count == mirror.count, "seed \(seed), batch \(batch): count")
            // A local edit through the counts lands where the mirror says.
            if rng.chance(0.5) {
                let pos = rng.int(0 ... bulk.count)
                let text = rng.text(rng.int(1 ... 3))
                let op = bulk.insert(text, at: pos)!
                mirror.insert(contentsOf: text, at: pos)
                for e in try single.receive(op) { _ = e }
                #expect(bulk.text == String(String.UnicodeScalarView(mirror)), "seed \(seed), batch \(batch): insert at \(pos)")
            }
        }
        #expect(bulk.pendingCount == 0, "seed \(seed): operations still waiting")
        #expect(bulk.version == single.version, "seed \(seed): versions differ")
    }

    @Test("bulk merges in random batches equal one-by-one merges", arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func batchesMatchOneByOne(seed: UInt64) throws { try Self.run(seed: seed) }

    /// A batch that fails part-way keeps what it applied, with exact counts.
    @Test("a batch that throws part-way leaves exact counts")
    func thrownBatchFlushesCounts() throws {
        var author = RGA(replica: ReplicaID(7))
        var ops: [Operation] = []
        for k in 0 ..< 40 { ops.append(author.insert([Unicode.Scalar(UInt8(97 + k % 26))], at: k / 2)!) }
        ops.append(author.delete(at: 5, length: 10)!)
        // Replica 9 deletes an element of its own it never made: never valid.
        let bad = Operation(replica: ReplicaID(9), seq: 0, counter: 1000,
                            body: .delete([DeletedRun(start: ElementID(counter: 3, replica: ReplicaID(9)), length: 1)]))
        var doc = RGA(replica: ReplicaID(8))
        #expect(throws: OperationError.self) { try doc.receive(contentsOf: Array(ops.prefix(30)) + [bad] + Array(ops.dropFirst(30))) }
        try doc.checkInvariants()
        var first30 = RGA(replica: ReplicaID(6))
        try first30.receive(contentsOf: Array(ops.prefix(30)))
        #expect(doc.text == first30.text)
        #expect(doc.count == 30)
        // Positions still work: the rest arrives one at a time, then an edit at the end.
        for op in ops.dropFirst(30) { try doc.receive(op) }
        doc.insert(Array("!".unicodeScalars), at: doc.count)
        #expect(doc.text == author.text + "!")
        try doc.checkInvariants()
    }
}
