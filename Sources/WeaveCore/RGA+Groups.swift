/// Groups: how the element tables find an element's leaf without naming it.
///
/// Every span carries a group ID, and the element tables map each counter to
/// its span's group, not to its leaf; `groups[g].leaf` says where the group
/// is. A leaf split moves about one span per span inserted (whatever the cut),
/// and when the tables named leaves each moved span was a binary search and a
/// table edit (15 % of a bulk merge). Now a group whose spans all move changes
/// one entry here and the tables are untouched.
///
/// Laws (checked by `checkInvariants`): every span of group `g` is in leaf
/// `groups[g].leaf`; every element's table run names the group of the span
/// holding it. So a group never spans two leaves: a piece of a span that lands
/// in another leaf than the rest of its group (a split span re-inserted across
/// a leaf split; the part of a group a split moves while the rest stays) takes
/// a new group, and its elements are re-pointed in the table, as every moved
/// span was before. New spans (an insert that continues no span) take a new
/// group; pieces of a span keep its group. Groups are never reused: 8 bytes per
/// span ever inserted.
extension RGA {
    struct Group: Sendable {
        /// The leaf holding every span of the group (-1 while its first span is being placed).
        var leaf: Int32
        /// Scratch for leaf splits: `splitLeaf` keeps the group's last span
        /// index there, then a visited flag, while it picks the cut; `regroup`
        /// then the `splitStamp` of the split that saw the group stay in the old leaf.
        var mark: UInt32 = 0
    }

    /// A new group in `leaf` (-1: its span is not placed yet). O(1) amortised.
    @inline(__always)
    mutating func newGroup(in leaf: Int) -> UInt32 {
        groups.append(Group(leaf: Int32(leaf)))
        return UInt32(groups.count - 1)
    }

    /// The leaf of group `g`. O(1).
    @inline(__always)
    func leaf(ofGroup g: UInt32) -> Int { Int(groups[Int(g)].leaf) }

    /// After a piece of a span (a part it was split into) was inserted at
    /// span `k` of `leaf`: if the rest of its group is in another leaf (the
    /// insert split the leaf), the piece takes a new group and its elements
    /// are re-pointed. O(1), else O(runs re-pointed).
    @inline(__always)
    mutating func placePiece(leaf: Int, span k: Int) {
        let s = spans[leaf &* RGA.leafCapacity &+ k]
        if self.leaf(ofGroup: s.group) == leaf { return }
        let g = newGroup(in: leaf)
        spans[leaf &* RGA.leafCapacity &+ k].group = g
        replicas[Int(s.replica)].elements.setGroup(g, s.counter, s.counter &+ s.length)
    }

    /// After a split moved spans from leaf `old` into the new leaf `fresh`: a
    /// group none of whose spans stayed in `old` follows them (one write); the
    /// moved spans of a group that also stayed take a new group, re-pointed in
    /// the tables a stretch of consecutive counters at a time. O(spans in the
    /// two leaves), plus the table edits of divided groups.
    mutating func regroup(movedFrom old: Int, to fresh: Int) {
        splitStamp &+= 1
        let stamp = splitStamp
        let cap = RGA.leafCapacity
        let ob = old &* cap, fb = fresh &* cap
        let stayed = leafLen[old], moved = leafLen[fresh]
        groups.withUnsafeMutableBufferPointer { groups in
            spans.withUnsafeBufferPointer { spans in
                for i in 0 ..< stayed { groups[Int(spans[ob &+ i].group)].mark = stamp }
            }
        }
        let freshLeaf = Int32(fresh)
        var k = 0
        while k < moved {
            let s = spans[fb &+ k]
            let g = Int(s.group)
            k &+= 1
            if groups[g].leaf == freshLeaf { continue }  // seen: it moved whole, or is a new group made here
            if groups[g].mark != stamp {
                groups[g].leaf = freshLeaf
                continue
            }
            // Divided: this span and the later moved spans of its group take a new group.
            let g2 = newGroup(in: fresh)
            var j = k &- 1
            while j < moved {
                let t = spans[fb &+ j]
                if t.group == s.group {
                    spans[fb &+ j].group = g2
                    // Neighbours of one replica whose counters continue each other share table runs: one edit.
                    var end = t.counter &+ t.length
                    var next = j &+ 1
                    while next < moved, spans[fb &+ next].group == s.group, spans[fb &+ next].replica == t.replica,
                          spans[fb &+ next].counter == end {
                        spans[fb &+ next].group = g2
                        end &+= spans[fb &+ next].length
                        next &+= 1
                    }
                    replicas[Int(t.replica)].elements.setGroup(g2, t.counter, end)
                    j = next
                } else {
                    j &+= 1
                }
            }
        }
    }
}
