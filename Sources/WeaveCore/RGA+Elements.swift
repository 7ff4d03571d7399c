/// The per-replica element tables (see ElementTable.swift): counter → group (and leaf),
/// scalar and inserting seq, run-length encoded. They record no deleters (the
/// log has them; see RGA+Deleters.swift).
extension RGA {
    /// The entry for (replica slot, counter); `leaf == absent` if unknown. O(log runs in a page).
    @inline(__always)
    func entry(_ replica: Int, _ counter: UInt32) -> ElementEntry {
        guard let run = replicas[replica].elements.run(holding: counter) else { return ElementEntry() }
        return entry(run, counter &- run.start)
    }

    /// The entry for element `k` of `run`. O(1).
    @inline(__always)
    func entry(_ run: ElementRun, _ k: UInt32) -> ElementEntry {
        ElementEntry(leaf: groups[Int(run.group)].leaf, scalar: log.scalars[Int(run.scalar &+ k)].value, seq: run.seq &+ k,
                     deleterReplica: run.deleterReplica, deleterSeq: run.deleterSeq(k))
    }

    /// The leaf holding element (replica slot, counter), which must exist. O(log runs in a page).
    @inline(__always)
    func leaf(of replica: Int, _ counter: UInt32) -> Int {
        guard let run = replicas[replica].elements.run(holding: counter) else {
            preconditionFailure("element \(counter)@\(replica) is not in the table")
        }
        return leaf(ofGroup: run.group)
    }

    /// Whether the element exists here (inserted, possibly since deleted). O(log runs in a page).
    @inline(__always)
    func contains(_ replica: Int, _ counter: UInt32) -> Bool {
        replicas[replica].elements.run(holding: counter) != nil
    }

    /// Records new elements, in `group`, inserted by units `seq …`; their scalars
    /// are the next ones the log will take (`integrate` appends the operation
    /// right after). O(pages touched).
    mutating func recordElements(_ replica: Int, counter: UInt32, seq: UInt32, length: Int, group: UInt32) {
        replicas[replica].elements.append(counter: counter, length: UInt32(length), seq: seq,
                                          scalar: UInt32(log.scalars.count), group: group)
    }

    /// Calls `body` with the element runs of `span`, in counter order. O(log + runs).
    @inline(__always)
    func forEachRun(of span: Span, _ body: (ElementRun) -> Void) {
        replicas[Int(span.replica)].elements.forEachRun(span.counter, span.counter &+ span.length, body)
    }

    /// Calls `body` with each stretch of visible scalars in document order, as
    /// a range of `log.scalars` (an element run's scalars are consecutive
    /// there). O(runs).
    func forEachVisibleRange(_ body: (Range<Int>) -> Void) {
        // Per replica, the element run last visited: the next span of that
        // replica usually lies in it or the next one (typing runs forward).
        var hints = [Int](repeating: -1, count: replicas.count)
        var leaf = firstLeaf
        while leaf >= 0 {
            for k in 0 ..< leafLen[leaf] {
                let s = spans[leaf * RGA.leafCapacity + k]
                if s.deleted { continue }
                let r = Int(s.replica)
                replicas[r].elements.forEachRun(s.counter, s.counter &+ s.length, hint: &hints[r]) { run in
                    body(Int(run.scalar) ..< Int(run.scalar &+ run.length))
                }
            }
            leaf = leafNext[leaf]
        }
    }

    /// The visible text as a `ScalarArray`. When it is the whole log's text
    /// in order (a file just opened: one insert), it is the log's own storage,
    /// shared (O(spans), no copy); else O(n).
    public var visibleScalars: ScalarArray {
        var out = ScalarArray()
        // Scalars 0 ..< shared of the log, while the visible text is exactly them.
        var shared = 0, copying = false
        forEachVisibleRange { r in
            if !copying {
                if r.lowerBound == shared { shared = r.upperBound; return }
                copying = true
                out.reserveCapacity(visibleCount)
                out.append(contentsOf: log.scalars, 0 ..< shared)
            }
            out.append(contentsOf: log.scalars, r)
        }
        if !copying {
            if shared == log.scalars.count { return log.scalars }
            out.append(contentsOf: log.scalars, 0 ..< shared)
        }
        return out
    }
}
