import WeaveCore

/// Replaying traces into RGA replicas.
extension EditingTrace {
    /// Applies one patch as local edits (delete, then insert).
    @inline(__always)
    static func apply(_ p: Patch, to doc: inout RGA) {
        if p.deleted > 0 { doc.deleteUnreported(at: p.position, length: p.deleted) }
        if !p.inserted.isEmpty { doc.insertUnreported(p.inserted, at: p.position) }
    }

    /// Sequential replay: every patch as a local edit of one replica. Does not
    /// check the result; see `verify`.
    public func replaySequential(replica: ReplicaID = ReplicaID(1)) -> RGA {
        var doc = RGA(replica: replica)
        if !startContent.isEmpty { doc.insert(startContent, at: 0) }
        // By index into `self` (immutable for the call): iterating the arrays,
        // or reading them through buffer pointers, retains and releases each
        // transaction's patches and each patch's text (a tenth of the replay).
        for i in transactions.indices {
            for j in transactions[i].patches.indices {
                let position = transactions[i].patches[j].position, deleted = transactions[i].patches[j].deleted
                if deleted > 0 { doc.deleteUnreported(at: position, length: deleted) }
                if !transactions[i].patches[j].inserted.isEmpty { doc.insertUnreported(transactions[i].patches[j].inserted, at: position) }
            }
        }
        return doc
    }

    /// Concurrent replay in one document (see `GraphWalker`): each transaction
    /// is made at the version of its parents, so memory follows the document,
    /// not the number of agents. Import, `replay()` and the benchmarks use it.
    /// Returns the walker after `finish()`: its document holds the merge.
    ///
    /// Calls `onTransaction(i, walker)` after each transaction (the walker's
    /// document then shows the text just after it).
    public func walk(onTransaction: ((Int, GraphWalker) -> Void)? = nil) throws -> GraphWalker {
        var w = GraphWalker(agents: numAgents, startContent: Array(startContent.unicodeScalars))
        for (i, t) in transactions.enumerated() {
            try w.prepare(parents: t.parents)
            try w.commit(agent: t.agent, patches: t.patches.map { TextEdit(position: $0.position, removed: $0.deleted, inserted: $0.inserted) })
            onTransaction?(i, w)
        }
        _ = w.finish()
        return w
    }

    /// The reference concurrent replay: one replica per agent; each transaction is made by its
    /// agent on the merge of its parents (the agent first receives exactly the
    /// operations its parents had that it lacks). Returns every replica after a
    /// final full exchange, so all should hold the same text.
    ///
    /// Calls `onTransaction(i, replica)` after each transaction, for tests that
    /// record texts along the way.
    public func replayConcurrent(onTransaction: ((Int, RGA) -> Void)? = nil) throws -> [RGA] {
        let n = numAgents
        let ids = (0 ..< n).map { ReplicaID(UInt64($0) + 1) }
        var replicas = ids.map { RGA(replica: $0) }
        if !startContent.isEmpty {
            // A common starting text: made by agent 0, known to all before txn 0.
            replicas[0].insert(startContent, at: 0)
            for i in 1 ..< n { try replicas[i].receive(contentsOf: replicas[0].log) }
        }
        let base = ids.map { replicas[0].seen($0) }
        // after[i * n + b]: units of agent b seen once transaction i was made.
        var after = [UInt32](repeating: 0, count: transactions.count * n)
        var target = base
        // The acting agent's replica is swapped out of the array while it works, so
        // calls on it never copy the struct (a copy retains every buffer it holds).
        var doc = RGA(replica: ReplicaID(0))
        for (i, t) in transactions.enumerated() {
            for b in 0 ..< n { target[b] = base[b] }
            for p in t.parents {
                for b in 0 ..< n where after[p * n + b] > target[b] { target[b] = after[p * n + b] }
            }
            let a = t.agent
            swap(&doc, &replicas[a])
            defer { swap(&doc, &replicas[a]) }
            for b in 0 ..< n where b != a {
                let have = doc.seen(ids[b])
                if have < target[b] {
                    // Fetch the missing units from their author's own replica.
                    let ops = replicas[b].operations(from: VersionVector([ids[b]: have]), to: VersionVector([ids[b]: target[b]]))
                    try doc.receive(contentsOf: ops)
                }
            }
            for b in 0 ..< n where doc.seen(ids[b]) != target[b] {
                throw TraceError.notAnAncestor(transaction: i, agent: a)
            }
            for p in t.patches { EditingTrace.apply(p, to: &doc) }
            for b in 0 ..< n { after[i * n + b] = doc.seen(ids[b]) }
            onTransaction?(i, doc)
        }
        for a in 0 ..< n {
            for b in 0 ..< n where b != a {
                try replicas[a].receive(contentsOf: replicas[b].operations(since: replicas[a].version))
            }
        }
        return replicas
    }

    /// Replays in the trace's own kind and returns the final document (for a
    /// concurrent trace, the graph walker's).
    public func replay() throws -> RGA {
        switch kind {
        case .sequential:
            return replaySequential()
        case .concurrent:
            return try walk().document
        }
    }

    /// Throws `TraceError.replayMismatch` unless `text == endContent`.
    public func verify(_ text: String) throws {
        try EditingTrace.check(text, against: endContent)
    }

    static func check(_ text: String, against expected: String) throws {
        if text == expected { return }
        let a = Array(text.unicodeScalars), e = Array(expected.unicodeScalars)
        var i = 0
        while i < a.count && i < e.count && a[i] == e[i] { i += 1 }
        throw TraceError.replayMismatch(expectedCount: e.count, actualCount: a.count, firstDifference: i)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
