/// The per-replica element tables (see ElementTable.swift): counter → leaf,
/// scalar, inserting seq and first deleter, run-length encoded.
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
        ElementEntry(leaf: run.leaf, scalar: log.scalars[Int(run.scalar &+ k)].value, seq: run.seq &+ k,
                     deleterReplica: run.deleterReplica, deleterSeq: run.deleterSeq(k))
    }

    /// The leaf holding element (replica slot, counter), which must exist. O(log runs in a page).
    @inline(__always)
    func leaf(of replica: Int, _ counter: UInt32) -> Int {
        guard let run = replicas[replica].elements.run(holding: counter) else {
            preconditionFailure("element \(counter)@\(replica) is not in the table")
        }
        return Int(run.leaf)
    }

    /// Whether the element exists here (inserted, possibly since deleted). O(log runs in a page).
    @inline(__always)
    func contains(_ replica: Int, _ counter: UInt32) -> Bool {
        replicas[replica].elements.run(holding: counter) != nil
    }

    /// Records new elements, in `leaf`, inserted by units `seq …`; their scalars
    /// are the next ones the log will take (`integrate` appends the operation
    /// right after). O(pages touched).
    mutating func recordElements(_ replica: Int, counter: UInt32, seq: UInt32, length: Int, leaf: Int) {
        replicas[replica].elements.append(counter: counter, length: UInt32(length), seq: seq,
                                          scalar: UInt32(log.scalars.count), leaf: Int32(leaf))
    }

    /// Points the elements of `span` at `leaf` (after the span moved). O(runs in its pages).
    mutating func setLeaf(of span: Span, to leaf: Int) {
        var none: [(counter: UInt32, seq: UInt32)] = []
        replicas[Int(span.replica)].elements.apply(.leaf(Int32(leaf)), span.counter, span.counter &+ span.length, extra: &none)
    }

    /// Records that the units of replica slot `deleter` deleted the elements
    /// `counter ..< counter + length` of replica slot `replica`, the first of them
    /// by unit `seq` and each next one by `seq + step` (`step` ±1). An element
    /// deleted before keeps its first deleter; this one goes to `extraDeleters`.
    mutating func recordDeleter(_ replica: Int, _ counter: UInt32, length: UInt32, deleter: Int, seq: UInt32, step: Int8) {
        var extra: [(counter: UInt32, seq: UInt32)] = []
        replicas[replica].elements.apply(.deleter(replica: UInt32(deleter), lo: counter, seq: seq, step: step),
                                         counter, counter &+ length, extra: &extra)
        for (c, s) in extra {
            extraDeleters[ElementKey(replica: UInt32(replica), counter: c), default: []]
                .append(UnitRef(replica: UInt32(deleter), seq: s))
        }
    }

    /// Calls `body` with the element runs of `span`, in counter order. O(log + runs).
    @inline(__always)
    func forEachRun(of span: Span, _ body: (ElementRun) -> Void) {
        replicas[Int(span.replica)].elements.forEachRun(span.counter, span.counter &+ span.length, body)
    }

    /// Calls `body` with each run of visible scalars in document order. O(n).
    func forEachVisibleRun(_ body: ([Unicode.Scalar]) -> Void) {
        var leaf = firstLeaf
        var buffer: [Unicode.Scalar] = []
        while leaf >= 0 {
            for k in 0 ..< leafLen[leaf] {
                let s = spans[leaf * RGA.leafCapacity + k]
                if s.deleted { continue }
                buffer.removeAll(keepingCapacity: true)
                forEachRun(of: s) { run in
                    buffer.append(contentsOf: log.scalars[Int(run.scalar) ..< Int(run.scalar &+ run.length)])
                }
                body(buffer)
            }
            leaf = leafNext[leaf]
        }
    }
}
