/// Replaying a concurrent history into one document, without a replica per
/// author.
///
/// A concurrent history is a graph of transactions: each names its parents
/// (the transactions its author had seen) and holds patches whose positions
/// count the visible text *as it was at those parents*. The reference replay
/// (`EditingTrace.replayConcurrent`) keeps one full replica per author and feeds
/// each the operations it lacks, so memory grows with authors × document.
///
/// The walker keeps one document and moves a *prepared version* over it
/// instead, as eg-walker does (Gentle & Kleppmann, "Collaborative Text Editing
/// with Eg-walker", EuroSys 2025; Diamond Types): before a transaction, the
/// transactions in the current version but not at its parents are *retreated*
/// (their inserts hidden, their deletes undone) and those at its parents but not
/// current are *advanced*, newest first and oldest first respectively. The span
/// tree's visibility then shows exactly the text at the parents (see
/// RGA+Visibility.swift), so a patch position resolves with one O(log s)
/// lookup, and the transaction becomes ordinary operations of its author,
/// integrated by RGA's rule among *all* elements, concurrent ones included.
///
/// Laws (checked by the tests): the operations made are the ones the reference
/// replay makes (same origins, seqs and Lamport counters), so the final text
/// equals it; after `finish()` the document is the one any replica receiving
/// those operations holds, and its invariants hold.
///
/// Costs: a transaction costs O(p · log s) for its p patches plus the retreat
/// and advance of every transaction between the current version and its
/// parents (O(units · log s) each); memory is the one document, the operations
/// (kept for the history anyway), and a count per element ever deleted.
/// Histories whose concurrent branches are short (real ones) walk little.
public struct GraphWalker: Sendable {
    /// The document: at the prepared version while walking, at every
    /// transaction after `finish()`.
    public private(set) var document: RGA
    /// The replica of each author (agent `a` is `ReplicaID(a + 1)`).
    public let agents: [ReplicaID]
    /// The operations each transaction made, by transaction.
    public private(set) var operations: [[Operation]] = []

    private var parentStart: [Int32] = [0]
    private var parentList: [Int32] = []
    /// One more than the largest counter at each transaction's end, as its author saw.
    private var lamportAfter: [UInt32] = []
    private var inCurrent: [Bool] = []
    /// The frontier of the prepared version (transactions none of which is an
    /// ancestor of another), nil before the first `prepare`.
    private var frontier: [Int] = []
    private var prepared: [Int]?
    private var lastOf: [Int]
    private var nextSeq: [UInt32]
    private var baseLamport: UInt32 = 0
    /// Per element ever deleted: how many deletes of it the prepared version holds.
    private var deletes = DeleteCounts()

    /// A walker over a history of `agents` authors whose transactions all start
    /// from `startContent` (made by agent 0 before everything else).
    public init(agents: Int, startContent: [Unicode.Scalar] = []) {
        precondition(agents >= 1, "a history needs at least one author")
        self.agents = (0 ..< agents).map { ReplicaID(UInt64($0) + 1) }
        document = RGA(replica: ReplicaID(UInt64(agents) + 1))
        lastOf = Array(repeating: -1, count: agents)
        nextSeq = Array(repeating: 0, count: agents)
        if !startContent.isEmpty {
            let op = Operation(replica: self.agents[0], seq: 0, counter: 0, body: .insert(after: nil, text: startContent))
            try! document.receive(op)
            nextSeq[0] = UInt32(startContent.count)
            baseLamport = UInt32(startContent.count)
        }
    }

    /// Number of transactions made so far.
    public var transactionCount: Int { operations.count }

    /// Prepares the document as it was at `parents` (indexes of earlier
    /// transactions; empty: the start) and returns its visible length, so the
    /// next `commit` can make its patches there. Throws when a parent is not
    /// an earlier transaction.
    @discardableResult
    public mutating func prepare(parents: [Int]) throws -> Int {
        let i = operations.count
        var target: [Int] = []
        for p in parents {
            guard p >= 0 && p < i else { throw GraphWalkerError.parentNotEarlier(transaction: i, parent: p) }
            if !target.contains(p) { target.append(p) }
        }
        if target != frontier { move(to: target) }
        prepared = target
        return document.count
    }

    /// Makes the next transaction: `patches` applied one after another by
    /// `agent` at the version `prepare` set. Returns its operations.
    ///
    /// Throws when `agent` is out of range, when the agent's own earlier
    /// transaction is not among the parents' ancestors (its seqs would then
    /// claim edits it had not seen), or when a patch does not fit the text;
    /// the walker is then unchanged.
    @discardableResult
    public mutating func commit(agent: Int, patches: [TextEdit]) throws -> [Operation] {
        let i = operations.count
        guard let parents = prepared else { preconditionFailure("commit without prepare") }
        guard agent >= 0 && agent < agents.count else {
            throw GraphWalkerError.agentOutOfRange(transaction: i, agent: agent, agents: agents.count)
        }
        if lastOf[agent] >= 0 && !inCurrent[lastOf[agent]] {
            throw GraphWalkerError.ownEditNotAncestor(transaction: i, agent: agent)
        }
        // Check every patch first, so a bad one changes nothing.
        var length = document.count
        for (k, p) in patches.enumerated() {
            guard p.position >= 0, p.removed >= 0, p.position + p.removed <= length else {
                throw GraphWalkerError.patchOutOfRange(transaction: i, patch: k, position: p.position, removed: p.removed, length: length)
            }
            length += p.inserted.count - p.removed
        }
        var lamport = baseLamport
        for p in parents { lamport = max(lamport, lamportAfter[p]) }
        let replica = agents[agent]
        var ops: [Operation] = []
        for p in patches {
            if p.removed > 0 {
                let runs = document.visibleRuns(at: p.position, length: p.removed)
                let op = Operation(replica: replica, seq: nextSeq[agent], counter: lamport, body: .delete(runs))
                try document.receive(op)
                for run in runs {
                    for k in 0 ..< run.length { _ = deletes.add(run.element(k), 1) }
                }
                ops.append(op)
                nextSeq[agent] &+= UInt32(p.removed)
                lamport &+= UInt32(p.removed)
            }
            if !p.inserted.isEmpty {
                let after = p.position > 0 ? document.id(at: p.position - 1) : nil
                let op = Operation(replica: replica, seq: nextSeq[agent], counter: lamport, body: .insert(after: after, text: p.inserted))
                try document.receive(op)
                ops.append(op)
                nextSeq[agent] &+= UInt32(p.inserted.count)
                lamport &+= UInt32(p.inserted.count)
            }
        }
        operations.append(ops)
        for p in parents { parentList.append(Int32(p)) }
        parentStart.append(Int32(parentList.count))
        lamportAfter.append(lamport)
        inCurrent.append(true)
        lastOf[agent] = i
        frontier = [i]
        prepared = nil
        return ops
    }

    /// `prepare(parents:)` then `commit(agent:patches:)`.
    @discardableResult
    public mutating func transaction(parents: [Int], agent: Int, patches: [TextEdit]) throws -> [Operation] {
        try prepare(parents: parents)
        return try commit(agent: agent, patches: patches)
    }

    /// Advances to every transaction made and returns the document, which then
    /// shows the merge of the whole history. O(units not yet current · log s).
    public mutating func finish() -> RGA {
        for t in 0 ..< operations.count where !inCurrent[t] { apply(t, forward: true) }
        var heads = Array(repeating: true, count: operations.count)
        for p in parentList { heads[Int(p)] = false }
        frontier = heads.indices.filter { heads[$0] }
        prepared = nil
        return document
    }

    // MARK: Moving the prepared version

    /// Retreats the transactions current but not under `target`, newest first,
    /// then advances those under `target` but not current, oldest first.
    ///
    /// The two sets come from one walk down the graph from both frontiers at
    /// once, largest index first (a topological order backwards), marking each
    /// transaction as reached from the current side, the target side or both;
    /// it stops once only shared ones remain queued.
    private mutating func move(to target: [Int]) {
        // A max-heap of (transaction << 2 | sides), sides: 1 current, 2 target, 3 both.
        var heap: [Int] = []
        var live = 0
        func push(_ t: Int, _ sides: Int) {
            heap.append(t << 2 | sides)
            if sides != 3 { live += 1 }
            var c = heap.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                if heap[p] >= heap[c] { break }
                heap.swapAt(p, c); c = p
            }
        }
        func pop() -> Int {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var p = 0
                while true {
                    let l = 2 * p + 1, r = l + 1
                    var m = p
                    if l < heap.count && heap[l] > heap[m] { m = l }
                    if r < heap.count && heap[r] > heap[m] { m = r }
                    if m == p { break }
                    heap.swapAt(p, m); p = m
                }
            }
            if top & 3 != 3 { live -= 1 }
            return top
        }
        for t in frontier { push(t, 1) }
        for t in target { push(t, 2) }
        var retreat: [Int] = [], advance: [Int] = []
        while live > 0 {
            let top = pop()
            let t = top >> 2
            var sides = top & 3
            while let next = heap.first, next >> 2 == t { sides |= pop() & 3 }
            if sides == 1 { retreat.append(t) } else if sides == 2 { advance.append(t) }
            for k in Int(parentStart[t]) ..< Int(parentStart[t + 1]) { push(Int(parentList[k]), sides) }
        }
        for t in retreat { apply(t, forward: false) }
        for t in advance.reversed() { apply(t, forward: true) }
        frontier = target
    }

    /// Advances (`forward`) or retreats transaction `t` in the prepared version.
    ///
    /// Retreats come newest first and advances oldest first (transactions,
    /// and the operations within one, which may delete what it inserted), so a
    /// delete is always undone while its element's insert is still current,
    /// and redone after it: an insert's elements are simply shown or hidden, and a
    /// delete's are shown when the last current delete of them goes.
    private mutating func apply(_ t: Int, forward: Bool) {
        inCurrent[t] = forward
        let ops = operations[t]
        for k in ops.indices {
            let op = ops[forward ? k : ops.count - 1 - k]
            switch op.body {
            case .insert(_, let text):
                document.setHidden(op.replica, counter: op.counter, length: UInt32(text.count), hidden: !forward)
            case .delete(let runs):
                for run in runs {
                    var start: UInt32 = 0, length: UInt32 = 0
                    let low = run.lowCounter
                    for c in low ..< low &+ run.length {
                        let id = ElementID(counter: c, replica: run.start.replica)
                        let after = deletes.add(id, forward ? 1 : UInt32.max)
                        // Hidden exactly while some current delete holds it.
                        let flips = forward ? after == 1 : after == 0
                        if flips && length > 0 && start &+ length == c {
                            length += 1
                        } else if flips {
                            document.setHidden(run.start.replica, counter: start, length: length, hidden: forward)
                            start = c; length = 1
                        }
                    }
                    document.setHidden(run.start.replica, counter: start, length: length, hidden: forward)
                }
            }
        }
    }
}

/// How many deletes of each element the prepared version holds, in one
/// open-addressed table (linear probing, Fibonacci hashing of the element's
/// agent and counter). A move looks up every element of every delete it
/// retreats or advances; with a `[ElementID: UInt32]` dictionary, SipHash and
/// its probing were 60 % of importing a 204-author history (issue 34).
/// Elements are the walker's agents' (replica IDs 1 ... 2^32 - 1).
struct DeleteCounts: Sendable {
    private var keys = [UInt64](repeating: 0, count: 1024)
    private var values = [UInt32](repeating: 0, count: 1024)
    private var shift: UInt64 = 64 - 10
    private var used = 0

    /// Adds `delta` (wrapping: `UInt32.max` takes one away) to `id`'s count,
    /// which starts at 0, and returns the new count. Amortised O(1).
    @inline(__always)
    mutating func add(_ id: ElementID, _ delta: UInt32) -> UInt32 {
        precondition(id.replica.rawValue != 0 && id.replica.rawValue < 1 << 32, "not a walker agent's element")
        let key = id.replica.rawValue << 32 | UInt64(id.counter)
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let k = keys[i]
            if k == key { values[i] &+= delta; return values[i] }
            if k == 0 { break }
            i = (i + 1) & mask
        }
        if (used + 1) * 4 > keys.count * 3 {
            grow()
            return add(id, delta)
        }
        keys[i] = key
        values[i] = delta
        used += 1
        return delta
    }

    /// Doubles the table. O(entries).
    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        values = [UInt32](repeating: 0, count: oldKeys.count * 2)
        shift -= 1
        let mask = keys.count - 1
        for (n, key) in oldKeys.enumerated() where key != 0 {
            var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while keys[i] != 0 { i = (i + 1) & mask }
            keys[i] = key
            values[i] = oldValues[n]
        }
    }
}

/// Why a transaction could not be made in a `GraphWalker`.
public enum GraphWalkerError: Error, Hashable, Sendable, CustomStringConvertible {
    case parentNotEarlier(transaction: Int, parent: Int)
    case agentOutOfRange(transaction: Int, agent: Int, agents: Int)
    case ownEditNotAncestor(transaction: Int, agent: Int)
    case patchOutOfRange(transaction: Int, patch: Int, position: Int, removed: Int, length: Int)

    public var description: String {
        switch self {
        case .parentNotEarlier(let t, let p):
            return "transaction \(t) names parent \(p), which does not come before it"
        case .agentOutOfRange(let t, let a, let n):
            return "transaction \(t) names agent \(a), but the history has \(n) authors"
        case .ownEditNotAncestor(let t, let a):
            return "transaction \(t): agent \(a)'s own earlier edit is not among its parents' ancestors (unsupported history shape)"
        case .patchOutOfRange(let t, let k, let p, let r, let n):
            return "transaction \(t), patch \(k): removing \(r) at \(p) does not fit a text of \(n) scalars at its parents"
        }
    }
}
