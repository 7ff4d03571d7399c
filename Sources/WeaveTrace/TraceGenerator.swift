import WeaveCore
import WeaveHistory

/// Generated concurrent histories, shaped like a project's: many authors, each
/// working on a short branch forked from the main line (sometimes from another
/// open branch), pulling the main line into the branch now and then, and
/// merging back. The transactions interleave the open branches, so the graph
/// has many concurrent stretches and merges of merges.
///
/// Positions are valid by construction (the walker says how long the text is
/// at each transaction's parents); `endContent` is the walker's merge. Tests
/// check it against the reference replay (a replica per agent), which shares
/// no code with the walker beyond RGA itself.
public struct TraceGenerator: Sendable {
    public var agents = 200
    public var transactions = 1_000
    /// Mean patches per transaction (each 1 … 2 × mean − 1).
    public var patchesPerTransaction = 8
    /// Most branches open at once.
    public var openBranches = 6
    public var seed: UInt64 = 1

    public init(agents: Int = 200, transactions: Int = 1_000, patchesPerTransaction: Int = 8, openBranches: Int = 6, seed: UInt64 = 1) {
        self.agents = agents
        self.transactions = transactions
        self.patchesPerTransaction = patchesPerTransaction
        self.openBranches = openBranches
        self.seed = seed
    }

    private struct Branch {
        var agent: Int
        var head: Int
        var remaining: Int
        var cursor: Int
    }

    /// The generated trace, in the concurrent format. Deterministic in `seed`.
    public func generate() throws -> EditingTrace {
        precondition(agents >= 2 && transactions >= 1 && patchesPerTransaction >= 1)
        var rng = TraceRandom(seed: seed)
        let start = Array("A shared document.\n".unicodeScalars)
        var walker = GraphWalker(agents: agents, startContent: start)
        var txns: [EditingTrace.Transaction] = []
        // seen[t * agents + a]: index + 1 of agent a's last transaction under t (0: none).
        var seen: [Int32] = []
        var last = Array(repeating: -1, count: agents)
        var main = -1
        var open: [Branch] = []
        var busy = Set<Int>()
        var order = Array(0 ..< agents)
        for i in stride(from: agents - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
        var nextAuthor = 0
        var time: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z

        func isAncestor(_ a: Int, of b: Int) -> Bool {
            a == b || seen[b * agents + txns[a].agent] > Int32(a)
        }
        /// `heads` without duplicates and without ancestors of the others.
        func frontier(_ heads: [Int]) -> [Int] {
            let hs = Array(Set(heads.filter { $0 >= 0 })).sorted()
            return hs.filter { h in !hs.contains { $0 != h && isAncestor(h, of: $0) } }
        }

        func commit(_ parents: [Int], agent: Int, cursor: inout Int) throws {
            let ps = frontier(parents + [last[agent]])
            var length = try walker.prepare(parents: ps)
            var patches: [TextEdit] = []
            for _ in 0 ..< 1 + rng.below(2 * patchesPerTransaction - 1) {
                if rng.below(6) == 0 { cursor = rng.below(length + 1) }
                cursor = min(cursor, length)
                var removed = 0
                if length > 0 && rng.below(4) == 0 {
                    cursor = min(cursor, length - 1)
                    removed = min(length - cursor, 1 + rng.below(5))
                }
                var inserted: [Unicode.Scalar] = []
                if removed == 0 || rng.below(3) == 0 {
                    for _ in 0 ..< 1 + rng.below(8) { inserted.append(TraceRandom.letters[rng.below(TraceRandom.letters.count)]) }
                }
                patches.append(TextEdit(position: cursor, removed: removed, inserted: inserted))
                length += inserted.count - removed
                cursor += inserted.count
            }
            try walker.commit(agent: agent, patches: patches)
            let t = txns.count
            time += Int64(1 + rng.below(rng.below(10) == 0 ? 3_600 : 90)) * 1000
            txns.append(EditingTrace.Transaction(
                parents: ps, agent: agent, time: TraceRandom.iso8601(millis: time),
                patches: patches.map { EditingTrace.Patch(position: $0.position, deleted: $0.removed, inserted: $0.inserted) }))
            var row = Array(repeating: Int32(0), count: agents)
            for p in ps { for a in 0 ..< agents { row[a] = max(row[a], seen[p * agents + a]) } }
            row[agent] = Int32(t + 1)
            seen.append(contentsOf: row)
            last[agent] = t
        }

        while txns.count < transactions {
            if open.isEmpty || (open.count < min(openBranches, agents) && rng.below(4) == 0) {
                // Fork a branch from the main line, or now and then from an open branch.
                // Authors take turns in a shuffled order, so most of them write.
                var agent = order[nextAuthor % agents]
                while busy.contains(agent) { nextAuthor += 1; agent = order[nextAuthor % agents] }
                nextAuthor += 1
                let from = !open.isEmpty && rng.below(5) == 0 ? open[rng.below(open.count)].head : main
                var b = Branch(agent: agent, head: -1, remaining: 1 + rng.below(8), cursor: 0)
                try commit([from], agent: agent, cursor: &b.cursor)
                b.head = txns.count - 1
                open.append(b)
                busy.insert(agent)
                continue
            }
            let k = rng.below(open.count)
            var b = open[k]
            let roll = rng.below(10)
            if b.remaining == 0 {
                // Merge the branch into the main line.
                try commit([main, b.head], agent: b.agent, cursor: &b.cursor)
                main = txns.count - 1
                open.remove(at: k)
                busy.remove(b.agent)
                continue
            } else if roll == 0 {
                try commit([b.head, main], agent: b.agent, cursor: &b.cursor)          // pull the main line in
            } else if roll == 1 && open.count > 1 {
                let other = open[(k + 1 + rng.below(open.count - 1)) % open.count].head
                try commit([b.head, other], agent: b.agent, cursor: &b.cursor)         // pull another branch in
            } else {
                try commit([b.head], agent: b.agent, cursor: &b.cursor)
            }
            b.head = txns.count - 1
            b.remaining -= 1
            open[k] = b
        }
        _ = walker.finish()
        return EditingTrace(kind: .concurrent, numAgents: agents, startContent: String(String.UnicodeScalarView(start)),
                            endContent: walker.document.text, transactions: txns)
    }
}

/// The generator's one seeded source of randomness (WeaveCore's SplitMix64),
/// and what it draws text from.
struct TraceRandom {
    var source: SplitMix64
    init(seed: UInt64) { source = SplitMix64(seed: seed) }
    mutating func below(_ n: Int) -> Int { Int(source.next() % UInt64(n)) }

    static let letters = Array("etaoin shrdlu cmfwyp vbgkqj xz ETAOIN, é—漢\n".unicodeScalars)

    /// `2026-01-05T10:00:00.000Z` for milliseconds since 1970 (WeaveHistory's
    /// `formatUTC`, in ISO 8601's letters).
    static func iso8601(millis: Int64) -> String {
        String(formatUTC(milliseconds: millis).map { $0 == " " ? "T" : $0 }) + "Z"
    }
}

extension TraceGenerator {
    /// A long linear history shaped like the egwalker paper's largest: one
    /// author, `patches` patches (default ~85,000) of about 27 character edits
    /// each (~2.3 M in all): runs of typing and pasting near a moving cursor,
    /// deletions of words and lines, now and then a jump elsewhere. Sequential
    /// format; `endContent` is the plain splice of every patch.
    public static func longLinear(patches: Int = 85_000, seed: UInt64 = 1) -> EditingTrace {
        var rng = TraceRandom(seed: seed)
        var text: [Unicode.Scalar] = []
        text.reserveCapacity(patches * 12)
        var cursor = 0
        var txns: [EditingTrace.Transaction] = []
        txns.reserveCapacity(patches)
        var time: Int64 = 1_767_225_600_000
        for _ in 0 ..< patches {
            if rng.below(10) == 0 || cursor > text.count { cursor = rng.below(text.count + 1) }
            var removed = 0
            if !text.isEmpty && rng.below(10) < 3 {
                cursor = min(cursor, text.count - 1)
                removed = min(text.count - cursor, 1 + rng.below(rng.below(4) == 0 ? 60 : 20))
            }
            var inserted: [Unicode.Scalar] = []
            if removed == 0 || rng.below(2) == 0 {
                let n = 1 + rng.below(rng.below(5) == 0 ? 120 : 40)
                inserted.reserveCapacity(n)
                for _ in 0 ..< n { inserted.append(TraceRandom.letters[rng.below(TraceRandom.letters.count)]) }
            }
            text.replaceSubrange(cursor ..< cursor + removed, with: inserted)
            txns.append(EditingTrace.Transaction(parents: txns.isEmpty ? [] : [txns.count - 1], agent: 0,
                                                 time: TraceRandom.iso8601(millis: time),
                                                 patches: [EditingTrace.Patch(position: cursor, deleted: removed, inserted: inserted)]))
            cursor += inserted.count
            time += Int64(1 + rng.below(20)) * 1000
        }
        return EditingTrace(kind: .sequential, numAgents: 1, startContent: "",
                            endContent: String(String.UnicodeScalarView(text)), transactions: txns)
    }
}
