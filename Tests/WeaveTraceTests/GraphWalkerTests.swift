import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveTrace

/// The graph walker (one document for a whole concurrent history) against the
/// reference replay (one replica per agent, fed what its parents had).
struct GraphWalkerTests {
    /// Every transaction's operations, as the reference replay makes them, and
    /// the text just after every `every`-th transaction.
    static func referenceOperations(_ trace: EditingTrace, every: Int = 1) throws -> (ops: [[Operation]], texts: [String], final: String) {
        var made: [[Operation]] = [], texts: [String] = []
        let replicas = try trace.replayConcurrent { i, replica in
            let units = trace.transactions[i].patches.reduce(0) { $0 + $1.deleted + $1.inserted.count }
            var before = replica.version
            before[replica.localReplica] -= UInt32(units)
            made.append(replica.operations(from: before, to: nil).filter { $0.replica == replica.localReplica })
            if i % every == 0 { texts.append(replica.text) }
        }
        for r in replicas.dropFirst() { #expect(r.text == replicas[0].text) }
        return (made, texts, replicas[0].text)
    }

    /// The walker's operations and the text just after each transaction.
    static func walked(_ trace: EditingTrace, every: Int = 1) throws -> (walker: GraphWalker, texts: [String]) {
        var texts: [String] = []
        let w = try trace.walk { i, w in if i % every == 0 { texts.append(w.document.text) } }
        return (w, texts)
    }

    /// Units of each operation, so a split or joined op compares equal (a
    /// one-element delete run has no direction: the log may have joined it
    /// into a Backspace run going down).
    static func units(_ ops: [Operation]) -> [Operation] {
        ops.flatMap { op in
            (0 ..< op.length).map { k in
                let unit = op.slice(k, k + 1)
                guard case .delete(let runs) = unit.body else { return unit }
                return Operation(replica: unit.replica, seq: unit.seq, counter: unit.counter,
                                 body: .delete(runs.map { DeletedRun(start: $0.start, length: $0.length, backward: $0.length > 1 && $0.backward) }))
            }
        }
    }

    @Test(.enabled(if: TestTraces.runnable("friendsforever.json.gz"), "friendsforever.json.gz is not in $WEAVE_TRACES or ../shared/traces"))
    func friendsForeverWalksToTheReferenceReplay() throws {
        let trace = try EditingTrace.load(path: try TestTraces.path("friendsforever.json.gz"))
        let reference = try Self.referenceOperations(trace, every: 97)
        let (w, texts) = try Self.walked(trace, every: 97)
        #expect(texts.count > 250)
        #expect(w.document.text == trace.endContent)
        #expect(reference.final == trace.endContent)
        try w.document.checkInvariants()
        #expect(w.operations.count == trace.transactions.count)
        var firstOpDifference: Int?
        for i in w.operations.indices where Self.units(w.operations[i]) != Self.units(reference.ops[i]) {
            firstOpDifference = i
            break
        }
        #expect(firstOpDifference == nil, "transaction \(firstOpDifference ?? -1) made different operations")
        let firstTextDifference = texts.indices.first { texts[$0] != reference.texts[$0] }
        #expect(firstTextDifference == nil, "text after transaction \((firstTextDifference ?? -1) * 97) differs")
        // The walker's document is an ordinary replica: a fresh one receiving its log agrees.
        var fresh = RGA(replica: ReplicaID(999))
        try fresh.receive(contentsOf: OpCodec.decode(OpCodec.encode(w.document.operations(since: VersionVector()))))
        #expect(fresh.text == trace.endContent)
        #expect(fresh.version == w.document.version)
    }

    /// Generated many-agent histories, several seeds: the walker's merge (the
    /// generator's endContent) equals the reference replay, after every
    /// transaction as well as at the end.
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func generatedHistoriesWalkToTheReferenceReplay(fixed: UInt64) throws {
        let seed = TestSeed.pick(fixed)
        let trace = try TraceGenerator(agents: 40, transactions: 300, patchesPerTransaction: 4, seed: seed).generate()
        let reference = try Self.referenceOperations(trace)
        #expect(reference.final == trace.endContent, "seed \(seed)")
        let (w, texts) = try Self.walked(trace)
        #expect(w.document.text == trace.endContent, "seed \(seed)")
        let firstTextDifference = texts.indices.first { texts[$0] != reference.texts[$0] }
        #expect(firstTextDifference == nil, "seed \(seed): text after transaction \(firstTextDifference ?? -1) differs")
        let firstOpDifference = w.operations.indices.first { Self.units(w.operations[$0]) != Self.units(reference.ops[$0]) }
        #expect(firstOpDifference == nil, "seed \(seed): transaction \(firstOpDifference ?? -1) made different operations")
        try w.document.checkInvariants()
    }

    /// The shape: ~200 agents, ~1,000 transactions, a deep graph of
    /// merges; the walker's end equals the reference replay's, and delivering
    /// its operations in a random causal order to a fresh replica agrees.
    @Test func aTwoHundredAgentHistoryOfMergesWalksToTheReferenceReplay() throws {
        let seed = TestSeed.pick(20_261_204)
        let trace = try TraceGenerator(agents: 200, transactions: 1_000, patchesPerTransaction: 6, seed: seed).generate()
        // The shape is what the test claims.
        let merges = trace.transactions.filter { $0.parents.count >= 2 }.count
        var depth = [Int](repeating: 0, count: trace.transactions.count)
        var mergeDepth = [Int](repeating: 0, count: trace.transactions.count)
        for (i, t) in trace.transactions.enumerated() {
            depth[i] = 1 + (t.parents.map { depth[$0] }.max() ?? 0)
            mergeDepth[i] = (t.parents.count >= 2 ? 1 : 0) + (t.parents.map { mergeDepth[$0] }.max() ?? 0)
        }
        let authors = Set(trace.transactions.map(\.agent)).count
        #expect(authors >= 100, "seed \(seed): only \(authors) authors")
        #expect(merges >= 100, "seed \(seed): only \(merges) merges")
        #expect((mergeDepth.max() ?? 0) >= 50, "seed \(seed): merges nest only \(mergeDepth.max() ?? 0) deep")
        #expect(depth.max()! < trace.transactions.count, "seed \(seed): the history is a line")

        let reference = try Self.referenceOperations(trace)
        #expect(reference.final == trace.endContent, "seed \(seed)")
        let w = try trace.walk()
        #expect(w.document.text == trace.endContent, "seed \(seed)")
        try w.document.checkInvariants()

        var rng = SeededRandom(seed: seed)
        var units = Self.units(w.document.operations(since: VersionVector()))
        units.shuffle(using: &rng)
        var fresh = RGA(replica: ReplicaID(9_999))
        fresh.pendingLimit = units.count
        try fresh.receive(contentsOf: units)
        #expect(fresh.pendingCount == 0, "seed \(seed)")
        #expect(fresh.text == trace.endContent, "seed \(seed)")
    }

    @Test func aGeneratedTraceSurvivesItsJSON() throws {
        let trace = try TraceGenerator(agents: 5, transactions: 60, seed: 7).generate()
        let back = try EditingTrace.parse(trace.json())
        #expect(back.kind == .concurrent)
        #expect(back.numAgents == trace.numAgents)
        #expect(back.startContent == trace.startContent)
        #expect(back.endContent == trace.endContent)
        #expect(back.transactions.count == trace.transactions.count)
        for (a, b) in zip(back.transactions, trace.transactions) {
            #expect(a.parents == b.parents && a.agent == b.agent && a.time == b.time && a.patches == b.patches)
        }
        #expect(try back.walk().document.text == trace.endContent)
        #expect(EditingTrace.millis(trace.transactions[0].time) > EditingTrace.millis("2026-01-01T00:00:00.000Z"))
    }

    @Test func badTransactionsAreRefusedAndChangeNothing() throws {
        var w = GraphWalker(agents: 2, startContent: Array("abc".unicodeScalars))
        try w.transaction(parents: [], agent: 0, patches: [TextEdit(position: 3, removed: 0, inserted: ["d"])])
        try w.transaction(parents: [], agent: 1, patches: [TextEdit(position: 0, removed: 1, inserted: [])])
        #expect(throws: GraphWalkerError.parentNotEarlier(transaction: 2, parent: 2)) { try w.prepare(parents: [2]) }
        #expect(throws: GraphWalkerError.parentNotEarlier(transaction: 2, parent: -1)) { try w.prepare(parents: [-1]) }
        try w.prepare(parents: [1])
        #expect(throws: GraphWalkerError.agentOutOfRange(transaction: 2, agent: 2, agents: 2)) {
            try w.commit(agent: 2, patches: [])
        }
        // Agent 0's own "d" is not under transaction 1: its seqs would lie.
        #expect(throws: GraphWalkerError.ownEditNotAncestor(transaction: 2, agent: 0)) {
            try w.commit(agent: 0, patches: [TextEdit(position: 0, removed: 0, inserted: ["x"])])
        }
        #expect(throws: GraphWalkerError.patchOutOfRange(transaction: 2, patch: 1, position: 1, removed: 5, length: 3)) {
            try w.commit(agent: 1, patches: [TextEdit(position: 0, removed: 0, inserted: ["x"]), TextEdit(position: 1, removed: 5, inserted: [])])
        }
        #expect(w.transactionCount == 2)
        #expect(w.document.text == "bc")
        let message = String(describing: GraphWalkerError.patchOutOfRange(transaction: 2, patch: 1, position: 1, removed: 5, length: 3))
        #expect(message.contains("transaction 2") && message.contains("text of 3"))
        try w.transaction(parents: [0, 1], agent: 1, patches: [TextEdit(position: 3, removed: 0, inserted: ["!"])])
        #expect(w.finish().text == "bcd!")
    }

    /// Concurrent inserts at one place and concurrent deletes of one element,
    /// walked back and forth: the texts at each version are the ones a replica
    /// that saw exactly that version would show.
    @Test func concurrentDeletesOfOneElementUndoAndRedoCorrectly() throws {
        var w = GraphWalker(agents: 3, startContent: Array("xyz".unicodeScalars))
        try w.transaction(parents: [], agent: 0, patches: [TextEdit(position: 1, removed: 1, inserted: [])])   // 0: xz
        try w.transaction(parents: [], agent: 1, patches: [TextEdit(position: 1, removed: 1, inserted: ["Y"])])  // 1: xYz
        #expect(w.document.text == "xYz")
        try w.prepare(parents: [])
        #expect(w.document.text == "xyz")
        try w.prepare(parents: [0])
        #expect(w.document.text == "xz")
        try w.prepare(parents: [0, 1])
        #expect(w.document.text == "xYz")
        try w.commit(agent: 2, patches: [TextEdit(position: 0, removed: 3, inserted: ["q"])])                    // 2: q
        try w.prepare(parents: [1])
        #expect(w.document.text == "xYz")
        try w.commit(agent: 1, patches: [TextEdit(position: 3, removed: 0, inserted: ["!"])])                    // 3: xYz!
        #expect(w.finish().text == "q!")
        try w.document.checkInvariants()
    }
}
