/// A broken internal invariant: a bug in WeaveCore, never the user's doing.
public struct InvariantViolation: Error, CustomStringConvertible {
    public var description: String
}

extension RGA {
    /// Checks every structural invariant; throws the first one broken. O(n).
    ///
    /// - every leaf but an empty document's has 1…leafCapacity spans of length > 0;
    /// - all leaves are at one depth, parent links match child lists, and every
    ///   inner count equals the visible elements below it;
    /// - the leaf chain visits every leaf once, in tree order;
    /// - every element's table entry points at the leaf holding it, and no element
    ///   appears twice; `elementCount` counts them, and so do the element tables,
    ///   whose runs are sorted, disjoint and maximal;
    /// - the live tables record no deleter, and an element is a tombstone exactly
    ///   when a delete in the log names it (the deleter index, RGA+Deleters.swift);
    /// - each replica's log entries are in seq order and cover exactly 0..<seqEnd.
    public func checkInvariants() throws {
        func fail(_ s: String) -> InvariantViolation { InvariantViolation(description: s) }
        var orderedLeaves: [Int] = []
        var leafDepth = -1
        func walk(_ node: Int, depth: Int) throws -> Int {
            let n = nodeLen[node]
            if n < 1 || n > RGA.nodeCapacity { throw fail("node \(node) has \(n) children") }
            var total = 0
            for i in 0 ..< n {
                let c = nodeChildren[node * RGA.nodeCapacity + i]
                let counted = nodeCounts[node * RGA.nodeCapacity + i]
                let actual: Int
                if nodeBottom[node] {
                    if leafParent[c] != node { throw fail("leaf \(c) has parent \(leafParent[c]), expected \(node)") }
                    if leafSlot[c] != i { throw fail("leaf \(c) records slot \(leafSlot[c]), is in \(i)") }
                    if leafDepth == -1 { leafDepth = depth } else if leafDepth != depth { throw fail("leaves at depths \(leafDepth) and \(depth)") }
                    orderedLeaves.append(c)
                    actual = (0 ..< leafLen[c]).reduce(0) { $0 + span(c, $1).visible }
                } else {
                    if nodeParent[c] != node { throw fail("node \(c) has parent \(nodeParent[c]), expected \(node)") }
                    if nodeSlot[c] != i { throw fail("node \(c) records slot \(nodeSlot[c]), is in \(i)") }
                    actual = try walk(c, depth: depth + 1)
                }
                if counted != actual { throw fail("node \(node) counts \(counted) visible under child \(c), actual \(actual)") }
                total += actual
            }
            return total
        }
        if nodeParent[root] != -1 { throw fail("root has a parent") }
        if countsDeferred || !dirtyLeaves.isEmpty { throw fail("visible counts are still deferred") }
        if leafPending.count != leafLen.count { throw fail("\(leafPending.count) pending counts for \(leafLen.count) leaves") }
        if let leaf = leafPending.firstIndex(where: { $0 != 0 }) { throw fail("leaf \(leaf) has a count change not applied") }
        let total = try walk(root, depth: 0)
        if total != visibleCount || total != rootVisibleCount { throw fail("visibleCount \(visibleCount), tree counts \(total)") }
        var chain: [Int] = []
        var l = firstLeaf
        while l >= 0 {
            chain.append(l)
            if chain.count > leafLen.count { throw fail("leaf chain has a cycle") }
            let next = leafNext[l]
            if next >= 0 && leafPrev[next] != l { throw fail("leafPrev of \(next) is not \(l)") }
            l = next
        }
        if chain != orderedLeaves { throw fail("leaf chain differs from tree order") }
        var seen = Set<ElementKey>()
        let deleters = deleterIndex()
        for leaf in chain {
            let n = leafLen[leaf]
            if n > RGA.leafCapacity || (n == 0 && !(chain.count == 1 && elementCount == 0)) { throw fail("leaf \(leaf) holds \(n) spans") }
            for k in 0 ..< n {
                let s = span(leaf, k)
                if s.length == 0 { throw fail("empty span in leaf \(leaf)") }
                if Int(s.group) >= groups.count || self.leaf(ofGroup: s.group) != leaf {
                    throw fail("span \(k) of leaf \(leaf) is in group \(s.group), which is not in that leaf")
                }
                for c in s.counter ..< s.counter &+ s.length {
                    let e = entry(Int(s.replica), c)
                    if e.leaf == ElementEntry.absent { throw fail("element \(c)@\(s.replica) is in leaf \(leaf) but not in its table") }
                    if Int(e.leaf) != leaf { throw fail("element \(c)@\(s.replica) is in leaf \(leaf) but indexed at \(e.leaf)") }
                    if replicas[Int(s.replica)].elements.run(holding: c)!.group != s.group {
                        throw fail("element \(c)@\(s.replica) is in group \(s.group) but indexed in another")
                    }
                    if e.deleterReplica != ElementEntry.noDeleter { throw fail("element \(c)@\(s.replica) has a deleter in the live table") }
                    let deleted = deleters.tables[Int(s.replica)].run(holding: c)!.isDeleted
                    if s.deleted != deleted { throw fail("element \(c)@\(s.replica) deletion flag disagrees with the log's deletes") }
                    if !seen.insert(ElementKey(replica: s.replica, counter: c)).inserted { throw fail("element \(c)@\(s.replica) appears twice") }
                }
            }
        }
        if seen.count != elementCount { throw fail("elementCount \(elementCount), found \(seen.count)") }
        var tabled = 0
        for (slot, r) in replicas.enumerated() {
            if let broken = r.elements.violation() { throw fail("replica \(slot): \(broken)") }
            for page in r.elements.pages {
                for run in page {
                    tabled += Int(run.length)
                    if Int(run.scalar &+ run.length) > log.scalars.count { throw fail("element run \(run.start)@\(slot) has scalars beyond the log") }
                }
            }
        }
        if tabled != elementCount { throw fail("element tables hold \(tabled) elements, the tree \(elementCount)") }
        for r in replicas {
            var next: UInt32 = 0
            for i in r.logIndexes.lazy.map({ Int($0) }) {
                if log.replica(at: i) != r.id || log.seq(at: i) != next {
                    throw fail("log of \(r.id) has seq \(log.seq(at: i)), expected \(next)")
                }
                next = log.seqEnd(at: i)
            }
            if next != r.seqEnd { throw fail("log of \(r.id) ends at \(next), version says \(r.seqEnd)") }
        }
    }
}
