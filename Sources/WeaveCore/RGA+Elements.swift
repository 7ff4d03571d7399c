/// The paged per-replica element table: counter → `ElementEntry`.
///
/// Counters of one replica are not contiguous (its Lamport clock jumps when it
/// hears others), so the table is paged: a page of `pageSize` entries exists only
/// once a counter in it is used. Lookup and update are O(1).
extension RGA {
    static let pageShift = 10
    static let pageSize = 1 << pageShift

    /// The entry for (replica slot, counter); `leaf == absent` if unknown. O(1).
    @inline(__always)
    func entry(_ replica: Int, _ counter: UInt32) -> ElementEntry {
        let p = Int(counter >> UInt32(RGA.pageShift))
        guard p < replicas[replica].pages.count, !replicas[replica].pages[p].isEmpty else { return ElementEntry() }
        return replicas[replica].pages[p][Int(counter) & (RGA.pageSize - 1)]
    }

    /// Whether the element exists here (inserted, possibly since deleted). O(1).
    @inline(__always)
    func contains(_ replica: Int, _ counter: UInt32) -> Bool {
        entry(replica, counter).leaf != ElementEntry.absent
    }

    /// Makes sure the pages for `counter ..< counter + length` exist.
    @inline(__always)
    mutating func reservePages(_ replica: Int, _ counter: UInt32, _ length: UInt32) {
        let last = Int((counter &+ length &- 1) >> UInt32(RGA.pageShift))
        if replicas[replica].pages.count <= last {
            replicas[replica].pages.append(contentsOf: repeatElement([], count: last + 1 - replicas[replica].pages.count))
        }
        var p = Int(counter >> UInt32(RGA.pageShift))
        while p <= last {
            if replicas[replica].pages[p].isEmpty {
                replicas[replica].pages[p] = Array(repeating: ElementEntry(), count: RGA.pageSize)
            }
            p += 1
        }
    }

    /// Records new elements: scalars, the leaf they are in and their seqs. O(length).
    mutating func recordElements(_ replica: Int, counter: UInt32, seq: UInt32, text: [Unicode.Scalar], leaf: Int) {
        reservePages(replica, counter, UInt32(text.count))
        var c = counter, s = seq
        for scalar in text {
            replicas[replica].pages[Int(c >> UInt32(RGA.pageShift))][Int(c) & (RGA.pageSize - 1)] =
                ElementEntry(leaf: Int32(leaf), scalar: scalar.value, seq: s)
            c &+= 1
            s &+= 1
        }
    }

    /// Points the elements of `span` at `leaf` (after the span moved). O(span.length).
    mutating func setLeaf(of span: Span, to leaf: Int) {
        let r = Int(span.replica)
        var c = span.counter
        let end = span.counter &+ span.length
        let l = Int32(leaf)
        while c != end {
            replicas[r].pages[Int(c >> UInt32(RGA.pageShift))][Int(c) & (RGA.pageSize - 1)].leaf = l
            c &+= 1
        }
    }

    /// Records that unit (deleter, seq) deleted element (replica, counter).
    mutating func recordDeleter(_ replica: Int, _ counter: UInt32, deleter: Int, seq: UInt32) {
        let p = Int(counter >> UInt32(RGA.pageShift)), i = Int(counter) & (RGA.pageSize - 1)
        if replicas[replica].pages[p][i].deleterReplica == ElementEntry.noDeleter {
            replicas[replica].pages[p][i].deleterReplica = UInt32(deleter)
            replicas[replica].pages[p][i].deleterSeq = seq
        } else {
            extraDeleters[ElementKey(replica: UInt32(replica), counter: counter), default: []]
                .append(UnitRef(replica: UInt32(deleter), seq: seq))
        }
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
                let pages = replicas[Int(s.replica)].pages
                var c = s.counter
                for _ in 0 ..< s.length {
                    buffer.append(Unicode.Scalar(pages[Int(c >> UInt32(RGA.pageShift))][Int(c) & (RGA.pageSize - 1)].scalar)!)
                    c &+= 1
                }
                body(buffer)
            }
            leaf = leafNext[leaf]
        }
    }
}
