import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveTrace

/// The trace statistics (issue 34) on traces small enough to count by hand,
/// and the generators that type like people: valid histories whose measured
/// shape is the one they were built from.
struct RealisticTraceTests {
    static func sequential(_ patches: [(Int, Int, String)]) -> EditingTrace {
        var text: [Unicode.Scalar] = []
        var txns: [EditingTrace.Transaction] = []
        for (i, (pos, del, ins)) in patches.enumerated() {
            text.replaceSubrange(pos ..< pos + del, with: ins.unicodeScalars)
            txns.append(.init(parents: i == 0 ? [] : [i - 1], agent: 0, time: nil,
                              patches: [.init(position: pos, deleted: del, inserted: Array(ins.unicodeScalars))]))
        }
        return EditingTrace(kind: .sequential, numAgents: 1, startContent: "", endContent: String(String.UnicodeScalarView(text)), transactions: txns)
    }

    @Test func runsJumpsAndDeletesAreCountedAsTyped() {
        // "abc" typed a key at a time, "de" pasted after it: one run of 5.
        // Two backspaces: a delete run of 2. Typing at the start: a jump of 3
        // (the cursor was at 3) and a run of 1. A forward delete there, then
        // typing where it was: a run of 1 each, no jump.
        let t = Self.sequential([(0, 0, "a"), (1, 0, "b"), (2, 0, "c"), (3, 0, "de"),
                                 (4, 1, ""), (3, 1, ""),
                                 (0, 0, "X"),
                                 (1, 1, ""), (1, 0, "Y")])
        let s = TraceStatistics(t)
        #expect(s.patches == 9 && s.transactions == 9)
        #expect(s.insertRuns.values == [5, 1, 1])
        #expect(s.deleteRuns.values == [2, 1])
        #expect(s.jumps.values == [3])
        #expect(s.edits == 9)
        #expect(s.insertedCharacters == 7 && s.deletedCharacters == 3)
        #expect(s.finalLength == 4 && t.endContent == "XYbc")
        #expect(s.patchesPerTransaction.quantile(1) == 1)
    }

    @Test func mergesAreMeasuredByWhatEachSideBrings() {
        // 0 ← 1 ← 2 (agent 0) and 0 ← 3 ← 4 ← 5 (agent 1), merged by 6.
        func txn(_ parents: [Int], _ agent: Int, _ pos: Int, _ s: String) -> EditingTrace.Transaction {
            .init(parents: parents, agent: agent, time: nil, patches: [.init(position: pos, deleted: 0, inserted: Array(s.unicodeScalars))])
        }
        let txns = [txn([], 0, 0, "a"), txn([0], 0, 1, "b"), txn([1], 0, 2, "c"),
                    txn([0], 1, 0, "x"), txn([3], 1, 1, "y"), txn([4], 1, 2, "z"),
                    txn([2, 5], 0, 0, "!")]
        let t = EditingTrace(kind: .concurrent, numAgents: 2, startContent: "", endContent: "", transactions: txns)
        let s = TraceStatistics(t)
        #expect(s.concurrencyMeasured)
        #expect(s.merges == 1 && s.forks == 1)
        #expect(s.mergeSmallerSide.values == [2] && s.mergeLargerSide.values == [3])
        // 3, 4 and 5 were made without 1 and 2; 6 knew everything.
        #expect(s.concurrentTransactions == 3)
        #expect(s.authors == 2)
    }

    /// A small many-author history walks to the reference replay (a replica
    /// per agent), and has the shape asked for.
    @Test(arguments: [UInt64(1), 2])
    func manyAuthorsWalksToTheReferenceReplay(fixed: UInt64) throws {
        let seed = TestSeed.pick(fixed)
        let trace = try TraceGenerator.manyAuthors(agents: 24, transactions: 150, patches: 3_000, openBranches: 5, seed: seed)
        #expect(trace.transactions.count == 150, "seed \(seed)")
        #expect(trace.patchCount <= 3_000 && trace.patchCount >= 2_760, "seed \(seed): \(trace.patchCount) patches")  // about: the sizes are drawn
        let reference = try GraphWalkerTests.referenceOperations(trace, every: 10)
        #expect(reference.final == trace.endContent, "seed \(seed)")
        let s = TraceStatistics(trace)
        #expect(s.authors >= 21, "seed \(seed): \(s.authors) of 24 authors wrote")
        #expect(s.merges >= 10, "seed \(seed): \(s.merges) merges")
        #expect(s.mergeLargerSide.mean >= 5, "seed \(seed): branches meet only \(s.mergeLargerSide.mean) transactions of others")
        #expect(try trace.walk().document.text == trace.endContent, "seed \(seed)")
    }

    /// The generated author types with the runs, deletes and jumps measured
    /// on automerge-paper (TypingModel.essay): means within a fifth, where
    /// a long tail makes the mean wander, the middle of the distribution.
    @Test func oneAuthorTypesLikeTheModel() throws {
        let seed = TestSeed.pick(3)
        let trace = try TraceGenerator.oneAuthor(patches: 60_000, seed: seed)
        #expect(trace.transactions.count == 60_000)
        try trace.verify(trace.replay().text)
        let s = TraceStatistics(trace)
        func near(_ v: Double, _ target: Double) -> Bool { abs(v - target) <= target / 5 }
        #expect(near(s.insertRuns.mean, 29.0), "seed \(seed): insert runs \(s.insertRuns.mean)")
        // Delete runs have a long tail (a few of thousands): their middle, not their mean.
        #expect(s.deleteRuns.quantile(0.5) <= 3 && (10 ... 30).contains(s.deleteRuns.quantile(0.9)), "seed \(seed): delete runs \(s.deleteRuns.summary)")
        // A few runs of thousands of characters carry much of what is deleted: within a third.
        let deleted = Double(s.deletedCharacters) / Double(s.insertedCharacters)
        #expect(abs(deleted - 0.425) <= 0.425 / 3, "seed \(seed): deleted \(deleted) of inserted")
        #expect(near(Double(s.insertedCharacters + s.deletedCharacters) / Double(s.jumps.count), 47.3), "seed \(seed)")
        #expect(s.insertRuns.quantile(0.5) >= 6 && s.insertRuns.quantile(0.5) <= 12, "seed \(seed)")
        // Same seed, same trace.
        let again = try TraceGenerator.oneAuthor(patches: 60_000, seed: seed)
        #expect(again.endContent == trace.endContent)
    }

    @Test func chunksGroupARunIntoLargerPatches() throws {
        let seed = TestSeed.pick(4)
        let trace = try TraceGenerator.oneAuthor(patches: 5_000, chunk: 4, seed: seed)
        try trace.verify(trace.replay().text)
        let s = TraceStatistics(trace)
        let perPatch = Double(s.insertedCharacters + s.deletedCharacters) / Double(s.patches)
        #expect(perPatch > 2.5 && perPatch < 4.5, "seed \(seed): \(perPatch) characters per patch")
    }

    /// The typing that `weave-bench memory` applies straight to a replica:
    /// every edit is in range, and the replica's text is the plain splice.
    @Test func typedEditsStayInRangeAndSpliceAlike() {
        let seed = TestSeed.pick(5)
        var typing = TypedEdits(chunk: 0, seed: seed)
        var doc = RGA(replica: ReplicaID(1))
        var plain: [Unicode.Scalar] = []
        for i in 0 ..< 3_000 {
            let e = typing.next(length: plain.count)
            guard e.position >= 0 && e.position + e.removed <= plain.count else {
                Issue.record("seed \(seed): edit \(i) out of range: \(e.position)+\(e.removed) of \(plain.count)")
                return
            }
            plain.replaceSubrange(e.position ..< e.position + e.removed, with: e.inserted)
            if e.removed > 0 { doc.deleteUnreported(at: e.position, length: e.removed) }
            if !e.inserted.isEmpty { doc.insertUnreported(e.inserted, at: e.position) }
        }
        #expect(doc.text == String(String.UnicodeScalarView(plain)), "seed \(seed)")
        #expect(plain.count > 10_000, "seed \(seed): \(plain.count) characters")
        #expect(TypedEdits.prose(count: 500, seed: seed) == TypedEdits.prose(count: 500, seed: seed))
    }
}
