/// The shape of an editing trace, measured the same way for real and
/// generated ones, so a generator can be checked against the traces it
/// imitates (issue 34): transaction sizes, typing and delete runs, cursor
/// jumps, concurrency, and how much of what was typed survives.
///
/// Runs are measured per agent on the edits in trace order, each patch read
/// as its delete then its insert:
/// - an insert run is consecutive inserted characters at advancing positions
///   (each insert where the agent's previous insert ended), whatever the
///   patches they came in;
/// - a delete run is consecutive deleted characters at one place (forward
///   delete: the same position; backspace: ending where the last began);
/// - a jump is an edit not at the agent's cursor (where its last edit left
///   it); the first edit of each agent is not counted.
/// In a concurrent trace an agent's positions are in its own view, which
/// merges shift now and then, so runs there can be cut a little short.
public struct TraceStatistics: Sendable {
    /// Values of one measure, with their summary.
    public struct Distribution: Sendable {
        public private(set) var values: [Int] = []
        public init() {}
        public mutating func add(_ v: Int) { values.append(v) }
        public var count: Int { values.count }
        public var sum: Int { values.reduce(0, +) }
        public var mean: Double { values.isEmpty ? 0 : Double(sum) / Double(values.count) }
        /// The value below which `q` of the values fall (nearest rank).
        public func quantile(_ q: Double) -> Int {
            guard !values.isEmpty else { return 0 }
            let s = values.sorted()
            return s[min(s.count - 1, max(0, Int((q * Double(s.count)).rounded(.up)) - 1))]
        }
        /// The share of the values in each power-of-two bucket: 1, 2, 3–4, 5–8, …
        public var buckets: [Double] {
            guard !values.isEmpty else { return [] }
            var counts: [Int] = []
            for v in values {
                let b = v <= 1 ? 0 : (Int.bitWidth - (v - 1).leadingZeroBitCount)
                if counts.count <= b { counts += Array(repeating: 0, count: b + 1 - counts.count) }
                counts[b] += 1
            }
            return counts.map { Double($0) / Double(values.count) }
        }
        /// "n 1,234, mean 5.6, p50 3, p90 12, p99 80, max 900".
        public var summary: String {
            guard !values.isEmpty else { return "n 0" }
            return "n \(values.count), mean \(TraceStatistics.fixed(mean, 1)), p50 \(quantile(0.5)), p90 \(quantile(0.9)), p99 \(quantile(0.99)), max \(quantile(1))"
        }
    }

    public var kind: EditingTrace.Kind
    public var agents = 0
    /// Agents with at least one transaction.
    public var authors = 0
    public var transactions = 0
    public var patches = 0
    public var patchesPerTransaction = Distribution()
    /// Transactions per author that wrote.
    public var transactionsPerAuthor = Distribution()
    public var insertedCharacters = 0
    public var deletedCharacters = 0
    /// Patches that insert, that delete, that do both.
    public var insertPatches = 0
    public var deletePatches = 0
    public var replacePatches = 0
    public var insertRuns = Distribution()
    public var deleteRuns = Distribution()
    /// Edits (a patch's delete, a patch's insert) in all, and those not at the
    /// agent's cursor; the distance of each jump in characters.
    public var edits = 0
    public var jumps = Distribution()
    public var startLength = 0
    public var finalLength = 0
    /// Concurrent traces: transactions with more than one parent.
    public var merges = 0
    /// Transactions made without knowing every transaction listed before them.
    public var concurrentTransactions = 0
    /// Transactions with two or more children (a fork).
    public var forks = 0
    /// At each merge, for each side: the transactions it brings that the other
    /// side did not have (the branch lengths met at the merge), the smaller and
    /// the larger side.
    public var mergeSmallerSide = Distribution()
    public var mergeLargerSide = Distribution()
    /// Whether the concurrency was measured (skipped past `concurrencyLimit`).
    public var concurrencyMeasured = false

    /// Most transactions × agents whose ancestry is counted (4 bytes each).
    public static let concurrencyLimit = 60_000_000

    /// Measures `trace`. O(edits + transactions × agents) time and space.
    public init(_ trace: EditingTrace) {
        kind = trace.kind
        agents = trace.numAgents
        transactions = trace.transactions.count
        startLength = trace.startContent.unicodeScalars.count
        finalLength = trace.endContent.unicodeScalars.count
        struct Cursor {
            var at = -1           // where the last edit left the cursor (-1: no edit yet)
            var last = 0          // 0 none, 1 insert, 2 delete
            var run = 0
        }
        var cursors = Array(repeating: Cursor(), count: max(1, trace.numAgents))
        var perAuthor = Array(repeating: 0, count: max(1, trace.numAgents))
        func flush(_ c: inout Cursor) {
            if c.last == 1 { insertRuns.add(c.run) } else if c.last == 2 { deleteRuns.add(c.run) }
            c.run = 0
        }
        for t in trace.transactions {
            patchesPerTransaction.add(t.patches.count)
            perAuthor[t.agent] += 1
            var c = cursors[t.agent]
            for p in t.patches {
                patches += 1
                if p.deleted > 0 && !p.inserted.isEmpty { replacePatches += 1 } else if p.deleted > 0 { deletePatches += 1 } else { insertPatches += 1 }
                if p.deleted > 0 {
                    edits += 1
                    deletedCharacters += p.deleted
                    let adjacent = p.position == c.at || p.position + p.deleted == c.at
                    if c.at >= 0 && !adjacent { jumps.add(abs(p.position - c.at)) }
                    if c.last == 2 && adjacent { c.run += p.deleted } else { flush(&c); c.run = p.deleted; c.last = 2 }
                    c.at = p.position
                }
                if !p.inserted.isEmpty {
                    edits += 1
                    insertedCharacters += p.inserted.count
                    let adjacent = p.position == c.at
                    if c.at >= 0 && !adjacent { jumps.add(abs(p.position - c.at)) }
                    if c.last == 1 && adjacent { c.run += p.inserted.count } else { flush(&c); c.run = p.inserted.count; c.last = 1 }
                    c.at = p.position + p.inserted.count
                }
            }
            cursors[t.agent] = c
        }
        for i in cursors.indices { flush(&cursors[i]) }
        for n in perAuthor where n > 0 { transactionsPerAuthor.add(n) }
        authors = transactionsPerAuthor.count
        if trace.kind == .concurrent { measureConcurrency(trace) }
    }

    private mutating func measureConcurrency(_ trace: EditingTrace) {
        let a = trace.numAgents, n = trace.transactions.count
        var children = Array(repeating: 0, count: n)
        for t in trace.transactions {
            if t.parents.count > 1 { merges += 1 }
            for p in t.parents { children[p] += 1 }
        }
        forks = children.filter { $0 >= 2 }.count
        guard n * a <= Self.concurrencyLimit else { return }
        concurrencyMeasured = true
        // seen[t * a + g]: how many of agent g's transactions t's ancestry holds (t included).
        var seen = [Int32](repeating: 0, count: n * a)
        var size = [Int](repeating: 0, count: n)   // the ancestry's transactions, t included
        var row = [Int32](repeating: 0, count: a)
        for (i, t) in trace.transactions.enumerated() {
            for g in 0 ..< a { row[g] = 0 }
            var sides: [Int] = []
            for p in t.parents { for g in 0 ..< a { row[g] = max(row[g], seen[p * a + g]) } }
            let union = row.reduce(0) { $0 + Int($1) }
            if t.parents.count > 1 {
                sides = t.parents.map { union - size[$0] }
                mergeSmallerSide.add(sides.min()!)
                mergeLargerSide.add(sides.max()!)
            }
            if union < i { concurrentTransactions += 1 }
            row[t.agent] += 1
            seen.replaceSubrange(i * a ..< (i + 1) * a, with: row)
            size[i] = union + 1
        }
    }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        var p = 1.0
        for _ in 0 ..< digits { p *= 10 }
        let r = (v * p).rounded() / p
        var s = String(r)
        if let dot = s.firstIndex(of: ".") {
            let have = s.distance(from: dot, to: s.endIndex) - 1
            if have < digits { s += String(repeating: "0", count: digits - have) }
            if digits == 0 { s = String(s[..<dot]) }
        }
        return s
    }

    static func percent(_ part: Int, _ whole: Int) -> String {
        whole == 0 ? "—" : fixed(100 * Double(part) / Double(whole), 1) + " %"
    }

    static func bucketLine(_ d: Distribution) -> String {
        let labels = ["1", "2", "3-4", "5-8", "9-16", "17-32", "33-64", "65-128", "129-256", "257-512", "513-1k", "1k-2k", "2k-4k", "4k-8k", "8k-16k", "16k-32k", "32k-64k", ">64k"]
        var shares = Array(repeating: 0.0, count: labels.count)
        for (b, share) in d.buckets.enumerated() { shares[min(b, labels.count - 1)] += share }
        var cells: [String] = []
        for (b, share) in shares.enumerated() where share > 0 { cells.append("\(labels[b]): \(fixed(100 * share, 1))") }
        return cells.joined(separator: ", ")
    }

    /// The report, one measure a line, as `weave-bench trace-stats` prints it.
    public var report: String {
        var lines: [String] = []
        func line(_ k: String, _ v: String) { lines.append(k.padding(toLength: 30, withPad: " ", startingAt: 0) + v) }
        line("kind", "\(kind.rawValue), \(agents) agents, \(authors) wrote")
        line("transactions", "\(transactions)")
        line("patches", "\(patches) (insert \(insertPatches), delete \(deletePatches), both \(replacePatches))")
        line("patches per transaction", patchesPerTransaction.summary)
        line("  share by size (%)", Self.bucketLine(patchesPerTransaction))
        if authors > 1 { line("transactions per author", transactionsPerAuthor.summary) }
        line("characters inserted", "\(insertedCharacters) (\(Self.fixed(Double(insertedCharacters) / Double(max(1, patches)), 2)) per patch)")
        line("characters deleted", "\(deletedCharacters) (\(Self.percent(deletedCharacters, insertedCharacters)) of inserted)")
        line("delete share of edits", "\(Self.percent(deletedCharacters, insertedCharacters + deletedCharacters)) of characters")
        line("insert runs (characters)", insertRuns.summary)
        line("  share by length (%)", Self.bucketLine(insertRuns))
        line("delete runs (characters)", deleteRuns.summary)
        line("  share by length (%)", Self.bucketLine(deleteRuns))
        line("jumps", "\(jumps.count) of \(edits) edits (\(Self.percent(jumps.count, edits))); one per \(Self.fixed(Double(insertedCharacters + deletedCharacters) / Double(max(1, jumps.count)), 1)) characters")
        line("  distance (characters)", jumps.summary)
        line("  share by distance (%)", Self.bucketLine(jumps))
        line("final length", "\(finalLength) from \(startLength) (\(Self.percent(finalLength - startLength, insertedCharacters)) of inserted survive)")
        if kind == .concurrent {
            line("merges (> 1 parent)", "\(merges) (\(Self.percent(merges, transactions)) of transactions); forks \(forks)")
            if concurrencyMeasured {
                line("concurrent transactions", "\(concurrentTransactions) (\(Self.percent(concurrentTransactions, transactions))): made without every earlier one")
                line("merge: smaller side (txns)", mergeSmallerSide.summary)
                line("merge: larger side (txns)", mergeLargerSide.summary)
            } else {
                line("concurrency", "not measured (\(transactions) transactions × \(agents) agents is past the limit)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
