import Foundation
import WeaveCore

/// How a person types, as measured by `TraceStatistics` on a real trace: the
/// lengths of typing runs and of delete runs, how often a run ends with the
/// cursor moving elsewhere, and how far it moves. Lengths are drawn from
/// power-of-two buckets (1, 2, 3–4, 5–8, …; uniform inside a bucket) with the
/// measured shares.
public struct TypingModel: Sendable {
    public var insertRuns: [Double]
    public var deleteRuns: [Double]
    public var jumpDistances: [Double]
    /// The chance that a run ends with a jump (else the next run starts where
    /// this one ended: a delete after typing, typing after a delete).
    public var jumpAfterRun: Double
    /// After a jump, the chance the next run types (else it deletes).
    public var insertAfterJump: Double

    public init(insertRuns: [Double], deleteRuns: [Double], jumpDistances: [Double], jumpAfterRun: Double, insertAfterJump: Double) {
        self.insertRuns = insertRuns
        self.deleteRuns = deleteRuns
        self.jumpDistances = jumpDistances
        self.jumpAfterRun = jumpAfterRun
        self.insertAfterJump = insertAfterJump
    }

    /// automerge-paper (one author writing a paper), measured by
    /// `weave-bench trace-stats`: insert runs mean 29.0 characters (p50 9, p90
    /// 81), delete runs mean 17.5 (p50 2, p90 17), deletes 42.5 % of what was
    /// inserted, a jump every 47 characters (p50 46 characters away, p90 799).
    public static let essay = TypingModel(
        insertRuns: [19.1, 10.4, 8.8, 11.1, 12.8, 12.6, 11.7, 8.8, 3.9, 0.6, 0.1],
        deleteRuns: [41.0, 11.6, 15.1, 12.9, 9.1, 4.7, 2.4, 1.7, 0.6, 0.5, 0.3, 0.2, 0.1],
        jumpDistances: [7.3, 3.3, 3.9, 6.2, 11.5, 11.3, 15.2, 13.6, 8.9, 6.1, 4.0, 2.8, 2.3, 1.5, 0.9, 0.5, 0.5, 0.4],
        jumpAfterRun: 0.55, insertAfterJump: 0.8)
}

extension TraceRandom {
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(source.next() >> 11) / 9_007_199_254_740_992.0 }

    /// A value from power-of-two buckets with these shares (bucket 0: 1,
    /// bucket b: 2^(b−1)+1 … 2^b), uniform inside its bucket.
    mutating func bucketed(_ shares: [Double]) -> Int {
        let total = shares.reduce(0, +)
        var r = unit() * total
        var b = shares.count - 1
        for (i, s) in shares.enumerated() {
            if r < s { b = i; break }
            r -= s
        }
        if b == 0 { return 1 }
        let low = (1 << (b - 1)) + 1, high = 1 << b
        return low + below(high - low + 1)
    }

    /// A log-normal value with this mean and shape (σ of its logarithm), at least 1.
    mutating func logNormal(mean: Double, sigma: Double) -> Int {
        let u1 = max(unit(), 1e-12), u2 = unit()
        let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        let mu = log(max(mean, 1)) - sigma * sigma / 2
        return max(1, Int(exp(mu + sigma * z).rounded()))
    }
}

/// Word-like text to type: words drawn from a small vocabulary with Zipf's
/// shares, spaces, sentence ends and line breaks, so a history compresses like
/// prose rather than like random letters.
struct WordStream {
    static let words: [[Unicode.Scalar]] = """
    the of and to a in is that it for as with was on be by this are not or from at which an \
    but we can have has one all their its if more when each will so there other also only these \
    they than into two some what text edit replica version history document merge change order \
    insert delete character position cursor author branch operation list element tree node time \
    state peer network message update counter sequence concurrent causal identifier value length \
    first last next previous same different new old given both every any many most such then \
    because while where after before between without through about over under again still even \
    CRDT JSON Lamport RGA Yjs Automerge user users write writes written read reads apply applied \
    returns function object array string number field key map register set counter clock vector
    """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { Array(String($0).unicodeScalars) }

    var pending: [Unicode.Scalar] = []
    var sentence = 0

    mutating func next(_ rng: inout TraceRandom) -> Unicode.Scalar {
        if pending.isEmpty {
            // Zipf-like: rank r with probability ∝ 1/r.
            let n = Self.words.count
            let r = min(n - 1, Int(exp(rng.unit() * log(Double(n + 1)))) - 1)
            var w = Self.words[max(0, r)]
            if sentence == 0, let f = w.first, f.value >= 0x61 && f.value <= 0x7A {
                w[0] = Unicode.Scalar(f.value - 0x20)!
            }
            pending = w
            sentence += 1
            let end = rng.below(14)
            if sentence > 4 && end == 0 {
                pending += Array((rng.below(6) == 0 ? ".\n\n" : ". ").unicodeScalars)
                sentence = 0
            } else if end == 1 {
                pending += Array(", ".unicodeScalars)
            } else {
                pending.append(" ")
            }
            pending.reverse()
        }
        return pending.removeLast()
    }
}

/// One author's hands: runs of typing and deleting at a cursor that jumps now
/// and then, drawn from a `TypingModel`. Each call gives one patch: a run
/// whole, or a piece of it when `chunk` (mean characters per patch) is set.
struct Typist {
    var model: TypingModel
    var cursor = 0
    var inserting = true
    var left = 0
    var mustJump = true
    var words = WordStream()

    init(model: TypingModel) { self.model = model }

    private mutating func startRun(length: Int, _ rng: inout TraceRandom) {
        if mustJump || rng.unit() < model.jumpAfterRun {
            let d = rng.bucketed(model.jumpDistances)
            cursor = rng.below(2) == 0 ? cursor - d : cursor + d
            cursor = max(0, min(length, cursor))
            if mustJump { cursor = rng.below(length + 1) }
            inserting = rng.unit() < model.insertAfterJump
            mustJump = false
        } else {
            inserting.toggle()
        }
        if length == 0 { inserting = true }
        left = rng.bucketed(inserting ? model.insertRuns : model.deleteRuns)
    }

    /// The next patch on a text of `length` characters. `chunk` 0: the run whole.
    mutating func patch(length: Int, chunk: Int, _ rng: inout TraceRandom) -> TextEdit {
        cursor = min(cursor, length)
        if left == 0 || mustJump || (!inserting && length == 0) { startRun(length: length, &rng) }
        var n = chunk == 0 ? left : min(left, chunk == 1 ? 1 : 1 + rng.below(2 * chunk - 1))
        left -= n
        if inserting {
            var ins: [Unicode.Scalar] = []
            ins.reserveCapacity(n)
            for _ in 0 ..< n { ins.append(words.next(&rng)) }
            defer { cursor += n }
            return TextEdit(position: cursor, removed: 0, inserted: ins)
        }
        if cursor > 0 {
            n = min(n, cursor)                       // backspace
            cursor -= n
            return TextEdit(position: cursor, removed: n, inserted: [])
        }
        n = min(n, length)                           // at the start: delete forward
        return TextEdit(position: 0, removed: n, inserted: [])
    }
}

extension TraceGenerator {
    /// One author typing like a person (`model`, by default automerge-paper's
    /// measured runs and jumps): `patches` patches, one per transaction, each a
    /// keystroke (`chunk` 1) or a piece of a run of `chunk` characters on
    /// average (0: whole runs), in writing sessions hours apart from
    /// 2026-01-01 (a key every 0.15–0.9 s). Sequential format.
    public static func oneAuthor(patches: Int, chunk: Int = 1, model: TypingModel = .essay, seed: UInt64 = 1) throws -> EditingTrace {
        var rng = TraceRandom(seed: seed)
        var walker = GraphWalker(agents: 1)
        var typist = Typist(model: model)
        var txns: [EditingTrace.Transaction] = []
        txns.reserveCapacity(patches)
        var time: Int64 = 1_767_225_600_000
        var session = 0
        for i in 0 ..< patches {
            let length = try walker.prepare(parents: i == 0 ? [] : [i - 1])
            let p = typist.patch(length: length, chunk: chunk, &rng)
            try walker.commit(agent: 0, patches: [p])
            txns.append(EditingTrace.Transaction(parents: i == 0 ? [] : [i - 1], agent: 0, time: TraceRandom.iso8601(millis: time),
                                                 patches: [EditingTrace.Patch(position: p.position, deleted: p.removed, inserted: p.inserted)]))
            session += 1
            if session > 1_000 && rng.below(2_000) == 0 {
                session = 0
                time += Int64(8 * 3_600 + rng.below(72 * 3_600)) * 1000   // the next session, 8–80 hours on
            } else {
                time += Int64(150 + rng.below(750))
            }
        }
        _ = walker.finish()
        return EditingTrace(kind: .sequential, numAgents: 1, startContent: "",
                            endContent: walker.document.text, transactions: txns)
    }

    /// Many authors on long concurrent branches, shaped like a project's
    /// history (issue 34's 204-author trace: 204 authors, 955 transactions,
    /// ~53,000 patches). Every patch is a whole run of typing or deleting drawn
    /// from `model` (automerge-paper's runs and jumps by default), each author
    /// with its own cursor. Transactions hold a log-normal number of patches
    /// (σ of the logarithm 1.2: mostly small, a few large) averaging
    /// patches / transactions. Branches: up to `openBranches` at once, each by
    /// one author, forked from the main line, `branchCommits` transactions on
    /// average (geometric), interleaved with the others and with commits made
    /// straight on the main line (`directShare` of the commits), pulling the
    /// main line in now and then (1 in 8), and merged back by a transaction of
    /// one or two small patches. Authors: mostly (7 in 10) one who has not written
    /// yet, else Zipf's shares (a few write most). Concurrent format; `endContent` is the walker's merge.
    public static func manyAuthors(agents: Int = 204, transactions: Int = 955, patches: Int = 53_000,
                                   openBranches: Int = 8, branchCommits: Int = 4, directShare: Double = 0.3,
                                   model: TypingModel = .essay, seed: UInt64 = 1) throws -> EditingTrace {
        precondition(agents >= 2 && transactions >= 1 && patches >= transactions && openBranches >= 1 && branchCommits >= 1)
        var rng = TraceRandom(seed: seed)
        var walker = GraphWalker(agents: agents)
        var typists = Array(repeating: Typist(model: model), count: agents)
        var txns: [EditingTrace.Transaction] = []
        var seen: [Int32] = []
        var last = Array(repeating: -1, count: agents)
        var main = -1
        struct Branch { var agent: Int; var head: Int; var remaining: Int }
        var open: [Branch] = []
        var busy = Set<Int>()
        var order = Array(0 ..< agents)
        for i in stride(from: agents - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
        var time: Int64 = 1_767_225_600_000
        var patchesLeft = patches

        func isAncestor(_ a: Int, of b: Int) -> Bool { a == b || seen[b * agents + txns[a].agent] > Int32(a) }
        func frontier(_ heads: [Int]) -> [Int] {
            let hs = Array(Set(heads.filter { $0 >= 0 })).sorted()
            return hs.filter { h in !hs.contains { $0 != h && isAncestor(h, of: $0) } }
        }
        var newcomers = 0
        func author() -> Int {
            // Mostly (7 in 10) someone who has not written yet (so all of them
            // write), else Zipf over the shuffled authors; none on an open branch.
            if newcomers < agents && rng.unit() < 0.7 {
                newcomers += 1
                if !busy.contains(order[newcomers - 1]) { return order[newcomers - 1] }
            }
            for _ in 0 ..< 64 {
                let r = min(agents, Int(exp(rng.unit() * log(Double(agents + 1))))) - 1
                let a = order[max(0, r)]
                if !busy.contains(a) { return a }
            }
            return order.first { !busy.contains($0) } ?? order[0]
        }
        func commit(_ parents: [Int], agent: Int, count: Int) throws {
            let ps = frontier(parents + [last[agent]])
            var length = try walker.prepare(parents: ps)
            var made: [TextEdit] = []
            made.reserveCapacity(count)
            for _ in 0 ..< count {
                let p = typists[agent].patch(length: length, chunk: 0, &rng)
                made.append(p)
                length += p.inserted.count - p.removed
            }
            try walker.commit(agent: agent, patches: made)
            let t = txns.count
            time += Int64(60 + rng.below(rng.below(10) == 0 ? 86_400 : 7_200)) * 1000
            txns.append(EditingTrace.Transaction(
                parents: ps, agent: agent, time: TraceRandom.iso8601(millis: time),
                patches: made.map { EditingTrace.Patch(position: $0.position, deleted: $0.removed, inserted: $0.inserted) }))
            var row = Array(repeating: Int32(0), count: agents)
            for p in ps { for a in 0 ..< agents { row[a] = max(row[a], seen[p * agents + a]) } }
            row[agent] = Int32(t + 1)
            seen.append(contentsOf: row)
            last[agent] = t
            patchesLeft -= count
        }
        func size() -> Int {
            let txnsLeft = transactions - txns.count
            let mean = Double(max(txnsLeft, patchesLeft)) / Double(max(1, txnsLeft))
            return min(max(1, patchesLeft - (txnsLeft - 1)), rng.logNormal(mean: mean, sigma: 1.2))
        }

        /// Merges open branch `k` into the main line (one or two patches by its author) and closes it.
        func mergeBranch(_ k: Int) throws {
            let b = open[k]
            try commit([main, b.head], agent: b.agent, count: min(1 + rng.below(2), max(1, patchesLeft - (transactions - txns.count - 1))))
            main = txns.count - 1
            open.remove(at: k)
            busy.remove(b.agent)
        }

        while txns.count < transactions {
            let remainingTxns = transactions - txns.count
            // Close branches in time: each still needs its merge.
            let owed = open.reduce(0) { $0 + $1.remaining + 1 }
            if !open.isEmpty && owed >= remainingTxns {
                let k = rng.below(open.count)
                var b = open[k]
                if b.remaining == 0 {
                    try mergeBranch(k)
                } else {
                    try commit([b.head], agent: b.agent, count: size())
                    b.head = txns.count - 1
                    b.remaining -= 1
                    open[k] = b
                }
                continue
            }
            if rng.unit() < directShare {
                let a = author()
                typists[a].mustJump = true
                try commit([main], agent: a, count: size())
                main = txns.count - 1
                continue
            }
            if open.count < openBranches && (open.isEmpty || rng.below(3) == 0) && remainingTxns > 2 {
                let a = author()
                typists[a].mustJump = true
                var remaining = 0
                while rng.unit() < 1 - 1 / Double(branchCommits) { remaining += 1 }
                remaining = max(0, min(remaining, remainingTxns - owed - 3))
                try commit([main], agent: a, count: size())
                open.append(Branch(agent: a, head: txns.count - 1, remaining: remaining))
                busy.insert(a)
                continue
            }
            let k = rng.below(open.count)
            var b = open[k]
            if b.remaining == 0 {
                try mergeBranch(k)
                continue
            }
            try commit(rng.below(8) == 0 ? [b.head, main] : [b.head], agent: b.agent, count: size())
            b.head = txns.count - 1
            b.remaining -= 1
            open[k] = b
        }
        _ = walker.finish()
        return EditingTrace(kind: .concurrent, numAgents: agents, startContent: "",
                            endContent: walker.document.text, transactions: txns)
    }
}

/// A person typing, for benchmarks that edit a document directly rather than
/// through a trace file: each `next(length:)` is one patch (a whole run of
/// typing or deleting when `chunk` is 0, else about `chunk` characters of
/// one) on a text of `length` characters, drawn from `model`. Deterministic
/// in `seed`.
public struct TypedEdits {
    var rng: TraceRandom
    var typist: Typist
    let chunk: Int

    public init(model: TypingModel = .essay, chunk: Int = 0, seed: UInt64 = 1) {
        rng = TraceRandom(seed: seed)
        typist = Typist(model: model)
        self.chunk = max(0, chunk)
    }

    public mutating func next(length: Int) -> TextEdit { typist.patch(length: length, chunk: chunk, &rng) }

    /// `count` characters of the word-like text the generators type.
    public static func prose(count: Int, seed: UInt64 = 1) -> [Unicode.Scalar] {
        var rng = TraceRandom(seed: seed)
        var words = WordStream()
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(count)
        for _ in 0 ..< count { out.append(words.next(&rng)) }
        return out
    }
}
