/// The span tree: a B-tree stored flat in arrays.
///
/// Leaf `l` holds `leafLen[l]` spans at `spans[l * leafCapacity ..< …]`; leaves
/// are chained in document order by `leafNext`/`leafPrev`. Inner node `n` holds
/// `nodeLen[n]` children at `nodeChildren[n * nodeCapacity ..< …]`, each with its
/// visible-element count in `nodeCounts` (same slots); `nodeBottom[n]` says its
/// children are leaves. All leaves are at the same depth; nodes split when full
/// and are never merged (deleting only marks spans), so no node is ever empty
/// except the single leaf of an empty document.
extension RGA {
    static let leafCapacity = 32
    static let nodeCapacity = 32
    /// A new leaf's slots in `spans`.
    static let emptyLeaf = [Span](repeating: Span(counter: 0, replica: 0, length: 0, deleted: false, group: 0), count: leafCapacity)

    mutating func makeEmptyTree() {
        spans = Array(repeating: Span(counter: 0, replica: 0, length: 0, deleted: false, group: 0), count: RGA.leafCapacity)
        leafLen = [0]; leafParent = [0]; leafNext = [-1]; leafPrev = [-1]; leafSlot = [0]; leafPending = [0]
        nodeChildren = Array(repeating: -1, count: RGA.nodeCapacity)
        nodeCounts = Array(repeating: 0, count: RGA.nodeCapacity)
        nodeChildren[0] = 0
        nodeLen = [1]; nodeParent = [-1]; nodeBottom = [true]; nodeSlot = [0]
        root = 0; firstLeaf = 0; elementCount = 0; visibleCount = 0
    }

    /// Visible elements in the whole document, from the root's counts. O(fanout).
    var rootVisibleCount: Int {
        var t = 0
        let base = root * RGA.nodeCapacity
        for i in 0 ..< nodeLen[root] { t += nodeCounts[base + i] }
        return t
    }

    @inline(__always) func span(_ leaf: Int, _ k: Int) -> Span { spans[leaf * RGA.leafCapacity + k] }

    /// Slot of `child` among the children of `node`. O(fanout).
    @inline(__always)
    func slot(of child: Int, in node: Int) -> Int {
        nodeBottom[node] ? leafSlot[child] : nodeSlot[child]
    }

    /// Puts `child` in slot `i` of `node`, keeping the child's slot and parent link.
    @inline(__always)
    mutating func setChild(_ node: Int, _ i: Int, _ child: Int) {
        nodeChildren[node * RGA.nodeCapacity + i] = child
        if nodeBottom[node] {
            leafSlot[child] = i
            leafParent[child] = node
        } else {
            nodeSlot[child] = i
            nodeParent[child] = node
        }
    }

    /// Adds `delta` to the visible count of `leaf` and its ancestors. O(log s);
    /// O(1) while counts are deferred (see `deferringCounts`).
    ///
    /// A leaf's slot in its (bottom) parent is `leafSlot`, an inner node's is
    /// `nodeSlot`, so the walk up needs no `nodeBottom` test; it runs on buffer
    /// pointers because it runs for every key.
    @inline(__always)
    mutating func addVisible(_ leaf: Int, _ delta: Int) {
        if delta == 0 { return }
        visibleCount &+= delta
        if countsDeferred {
            if leafPending[leaf] == 0 { dirtyLeaves.append(leaf) }
            leafPending[leaf] &+= delta
            return
        }
        propagateVisible(leaf, delta)
    }

    /// Adds `delta` to the counts on the path from `leaf` to the root. O(log s).
    mutating func propagateVisible(_ leaf: Int, _ delta: Int) {
        var node = leafParent[leaf]
        var slot = leafSlot[leaf]
        nodeCounts.withUnsafeMutableBufferPointer { counts in
            while node >= 0 {
                counts[node &* RGA.nodeCapacity &+ slot] &+= delta
                slot = nodeSlot[node]
                node = nodeParent[node]
            }
        }
    }

    /// Runs `body` with the tree's counts deferred: `addVisible` only adds to
    /// its leaf's pending change, and the changes reach the inner nodes once,
    /// when `body` ends (or throws), a path per changed leaf.
    ///
    /// For a bulk merge, which asks for no visible position: a leaf's count
    /// changes several times per operation (a split span is taken out, moved
    /// and put back), and each change walked up to the root. Deferring is
    /// exact because counts only add: the count stored for a subtree plus the
    /// pending changes of the leaves now under it is its true count, and
    /// `splitLeaf`/`splitNode` move stored counts and pending changes
    /// together with their subtrees. While deferred nothing may read the
    /// inner counts for a position (`visiblePosition`, `locateVisible`);
    /// `visibleCount` stays exact. O(changed leaves · log s) at the end.
    mutating func deferringCounts<R>(_ body: (inout RGA) throws -> R) rethrows -> R {
        if countsDeferred { return try body(&self) }
        countsDeferred = true
        defer { flushCounts() }
        return try body(&self)
    }

    /// Applies the pending count changes and stops deferring.
    private mutating func flushCounts() {
        countsDeferred = false
        for leaf in dirtyLeaves {
            let d = leafPending[leaf]
            if d != 0 {
                leafPending[leaf] = 0
                propagateVisible(leaf, d)
            }
        }
        dirtyLeaves.removeAll(keepingCapacity: dirtyLeaves.count <= 4096)
    }

    /// Visible elements before the start of `leaf`. O(log s · fanout).
    @inline(__always)  // out of line, a call from a mutating method copied the whole RGA first
    func visibleBefore(leaf: Int) -> Int {
        var total = 0
        var child = leaf
        var node = leafParent[leaf]
        while node >= 0 {
            let base = node * RGA.nodeCapacity
            for i in 0 ..< slot(of: child, in: node) { total += nodeCounts[base + i] }
            child = node
            node = nodeParent[node]
        }
        return total
    }

    /// Visible elements before element `offset` of span `k` of `leaf`. O(log s · fanout).
    @inline(__always)  // out of line, a call from a mutating method copied the whole RGA first
    func visiblePosition(leaf: Int, span k: Int, offset: Int) -> Int {
        var p = visibleBefore(leaf: leaf)
        let base = leaf * RGA.leafCapacity
        for i in 0 ..< k { p += spans[base + i].visible }
        if k < leafLen[leaf], !spans[base + k].deleted { p += offset }
        return p
    }

    /// The visible element at visible index `index` (< count): its leaf, span and
    /// offset in the span. O(log s · fanout).
    @inline(__always)  // out of line, a call from a mutating method copied the whole RGA first
    func locateVisible(_ index: Int) -> (leaf: Int, span: Int, offset: Int) {
        precondition(index >= 0 && index < visibleCount, "visible index out of range")
        return nodeCounts.withUnsafeBufferPointer { counts in
            nodeChildren.withUnsafeBufferPointer { children in
                spans.withUnsafeBufferPointer { spans in
                    var node = root
                    var rest = index
                    while true {
                        let base = node &* RGA.nodeCapacity
                        var i = 0
                        let n = nodeLen[node]
                        while i < n &- 1 && rest >= counts[base &+ i] { rest &-= counts[base &+ i]; i &+= 1 }
                        let child = children[base &+ i]
                        if nodeBottom[node] {
                            let lbase = child &* RGA.leafCapacity
                            var k = 0
                            let m = leafLen[child]
                            while true {
                                let s = spans[lbase &+ k]
                                if !s.deleted {
                                    if rest < Int(s.length) { return (child, k, rest) }
                                    rest &-= Int(s.length)
                                }
                                k &+= 1
                                precondition(k < m, "visible index out of range")
                            }
                        }
                        node = child
                    }
                }
            }
        }
    }

    /// The span of `leaf` holding element (replica slot, counter). O(leaf size).
    @inline(__always)
    func findSpan(in leaf: Int, replica: Int, counter: UInt32) -> (span: Int, offset: Int) {
        guard let found = findSpan(in: leaf, from: 0, replica: replica, counter: counter) else {
            preconditionFailure("element index points at a leaf that does not hold the element")
        }
        return found
    }

    /// The span of `leaf` at index `from` or after it (before `to`, when
    /// given) holding element (replica slot, counter), or nil when none does.
    /// O(spans scanned).
    @inline(__always)
    func findSpan(in leaf: Int, from: Int, to: Int = .max, replica: Int, counter: UInt32) -> (span: Int, offset: Int)? {
        let base = leaf &* RGA.leafCapacity
        let n = min(leafLen[leaf], to)
        let r = UInt32(replica)
        return spans.withUnsafeBufferPointer { buf -> (span: Int, offset: Int)? in
            var k = from
            while k < n {
                let s = buf[base &+ k]
                if s.replica == r && counter &- s.counter < s.length { return (k, Int(counter &- s.counter)) }
                k &+= 1
            }
            return nil
        }
    }

    // MARK: Mutation

    /// Inserts `s` at span index `k` of `leaf`, splitting the leaf when full, and
    /// counts its visible elements. Returns where the span ended up; the caller
    /// re-points the elements of a span that already existed if the leaf changed.
    @discardableResult
    mutating func insertSpan(_ s: Span, leaf: Int, at k: Int) -> (leaf: Int, span: Int) {
        var leaf = leaf, k = k
        if leafLen[leaf] == RGA.leafCapacity {
            let split = splitLeaf(leaf)
            if split.movedLeft {
                // Spans before `at` went to the new leaf (before this one).
                if k <= split.at { leaf = split.newLeaf } else { k -= split.at }
            } else if k > split.at {
                leaf = split.newLeaf
                k -= split.at
            }
        }
        let base = leaf * RGA.leafCapacity
        let len = leafLen[leaf]
        precondition(k >= 0 && k <= len && len < RGA.leafCapacity, "span index outside the leaf")
        spans.withUnsafeMutableBufferPointer { buf in
            let p = buf.baseAddress! + base
            if k < len { (p + k + 1).moveInitialize(from: p + k, count: len - k) }  // regions overlap: a memmove
            p[k] = s
        }
        leafLen[leaf] = len + 1
        addVisible(leaf, s.visible)
        return (leaf, k)
    }

    /// Splits a full leaf in two, moving the side with fewer spans into a new
    /// leaf (before or after it). A group that moves whole changes one entry,
    /// whatever its size; one the cut divides re-points the moved part's
    /// elements in the element table (see RGA+Groups.swift), so the cut is the
    /// one nearest the middle (within the middle half) between two groups.
    mutating func splitLeaf(_ leaf: Int) -> (newLeaf: Int, at: Int, movedLeft: Bool) {
        let cap = RGA.leafCapacity
        let base = leaf * cap
        // The cut (within the middle half) that divides the fewest groups, then
        // the one nearest the middle. A group is divided by cut c when its first
        // span is before c and its last at or after it: marks hold each group's
        // last index, then the first visit of each group counts it over
        // first + 1 ... last (a difference array).
        var at = cap / 2
        groups.withUnsafeMutableBufferPointer { groups in
            spans.withUnsafeBufferPointer { buf in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: cap + 1) { diff in
                    diff.initialize(repeating: 0)
                    for i in 0 ..< cap { groups[Int(buf[base &+ i].group)].mark = UInt32(i) }
                    for i in 0 ..< cap {
                        let g = Int(buf[base &+ i].group)
                        let last = Int(groups[g].mark)
                        if groups[g].mark != UInt32.max {
                            if last > i { diff[i &+ 1] &+= 1; diff[last &+ 1] &-= 1 }
                            groups[g].mark = UInt32.max
                        }
                    }
                    var divided = 0, best = Int.max
                    for c in 1 ..< cap {
                        divided &+= diff[c]
                        if c >= cap / 4 && c <= cap - cap / 4 {
                            let score = divided &* cap &+ abs(c &- cap / 2)
                            if score < best { best = score; at = c }
                        }
                    }
                }
            }
        }
        let best = (at: at, left: at < cap / 2)
        let fresh = leafLen.count
        spans.append(contentsOf: RGA.emptyLeaf)
        leafLen.append(0); leafParent.append(-1); leafNext.append(-1); leafPrev.append(-1); leafSlot.append(0)
        leafPending.append(0)
        let parent = leafParent[leaf]
        // The spans that move: `from ..< to` of the full leaf.
        let (from, to) = best.left ? (0, best.at) : (best.at, cap)
        let moved = spans.withUnsafeMutableBufferPointer { buf -> Int in
            let p = buf.baseAddress!
            var moved = 0
            for i in from ..< to { moved &+= p[base &+ i].visible }
            (p + fresh &* cap).moveInitialize(from: p + base + from, count: to - from)
            if best.left { (p + base).moveInitialize(from: p + base + to, count: cap - to) }
            return moved
        }
        leafLen[fresh] = to - from
        leafLen[leaf] = cap - (to - from)
        if best.left {
            // The new leaf took spans 0 ..< at and goes before `leaf`.
            leafPrev[fresh] = leafPrev[leaf]
            leafNext[fresh] = leaf
            if leafPrev[leaf] >= 0 { leafNext[leafPrev[leaf]] = fresh } else { firstLeaf = fresh }
            leafPrev[leaf] = fresh
            insertChild(fresh, in: parent, at: slot(of: leaf, in: parent))
        } else {
            // The new leaf took spans at ..< cap and goes after `leaf`.
            leafNext[fresh] = leafNext[leaf]
            leafPrev[fresh] = leaf
            if leafNext[leaf] >= 0 { leafPrev[leafNext[leaf]] = fresh }
            leafNext[leaf] = fresh
            insertChild(fresh, in: parent, at: slot(of: leaf, in: parent) + 1)
        }
        regroup(movedFrom: leaf, to: fresh)
        addVisible(leaf, -moved)
        addVisible(fresh, moved)
        return (fresh, best.at, best.left)
    }

    /// Inserts `child` (with a count of 0) into `node` at `slot`, splitting full nodes upward.
    mutating func insertChild(_ child: Int, in node: Int, at slot: Int) {
        var node = node, slot = slot
        if nodeLen[node] == RGA.nodeCapacity {
            let right = splitNode(node)
            let half = RGA.nodeCapacity / 2
            if slot > half { node = right; slot -= half }
        }
        let base = node * RGA.nodeCapacity
        let len = nodeLen[node]
        precondition(slot >= 0 && slot <= len && len < RGA.nodeCapacity, "child slot outside the node")
        // Shift the later children and their counts up one slot (each memmoves), then renumber them.
        nodeChildren.withUnsafeMutableBufferPointer { c in
            (c.baseAddress! + base + slot + 1).moveInitialize(from: c.baseAddress! + base + slot, count: len - slot)
        }
        nodeCounts.withUnsafeMutableBufferPointer { n in
            (n.baseAddress! + base + slot + 1).moveInitialize(from: n.baseAddress! + base + slot, count: len - slot)
        }
        if nodeBottom[node] {
            nodeChildren.withUnsafeBufferPointer { c in
                leafSlot.withUnsafeMutableBufferPointer { slots in
                    for i in slot + 1 ..< len + 1 { slots[c[base &+ i]] = i }
                }
            }
        } else {
            nodeChildren.withUnsafeBufferPointer { c in
                nodeSlot.withUnsafeMutableBufferPointer { slots in
                    for i in slot + 1 ..< len + 1 { slots[c[base &+ i]] = i }
                }
            }
        }
        setChild(node, slot, child)
        nodeCounts[base + slot] = 0
        nodeLen[node] = len + 1
    }

    /// Moves the upper half of a full inner node into a new node after it.
    mutating func splitNode(_ node: Int) -> Int {
        let half = RGA.nodeCapacity / 2
        let right = newNode(bottom: nodeBottom[node])
        var moved = 0
        for i in half ..< RGA.nodeCapacity {
            let c = nodeChildren[node * RGA.nodeCapacity + i]
            let n = nodeCounts[node * RGA.nodeCapacity + i]
            setChild(right, i - half, c)
            nodeCounts[right * RGA.nodeCapacity + i - half] = n
            moved += n
        }
        nodeLen[right] = RGA.nodeCapacity - half
        nodeLen[node] = half
        if nodeParent[node] < 0 {
            // The root split: grow the tree by one level.
            let top = newNode(bottom: false)
            var total = 0
            for i in 0 ..< half { total += nodeCounts[node * RGA.nodeCapacity + i] }
            setChild(top, 0, node)
            nodeCounts[top * RGA.nodeCapacity] = total
            setChild(top, 1, right)
            nodeCounts[top * RGA.nodeCapacity + 1] = moved
            nodeLen[top] = 2
            root = top
        } else {
            let parent = nodeParent[node]
            let s = slot(of: node, in: parent)
            insertChild(right, in: parent, at: s + 1)
            // insertChild may have split `parent`; re-find both slots.
            let p1 = nodeParent[node], p2 = nodeParent[right]
            nodeCounts[p1 * RGA.nodeCapacity + slot(of: node, in: p1)] -= moved
            nodeCounts[p2 * RGA.nodeCapacity + slot(of: right, in: p2)] += moved
            if p1 != p2 { propagateMove(from: p1, to: p2, moved) }
        }
        return right
    }

    /// After `moved` visible elements went from the subtree of `a` to that of `b`
    /// (siblings' descendants), fixes the counts of the ancestors that differ.
    private mutating func propagateMove(from a: Int, to b: Int, _ moved: Int) {
        var a = a, b = b
        while a != b {  // a and b are at the same depth, so they meet at their common ancestor
            let pa = nodeParent[a], pb = nodeParent[b]
            nodeCounts[pa * RGA.nodeCapacity + slot(of: a, in: pa)] -= moved
            nodeCounts[pb * RGA.nodeCapacity + slot(of: b, in: pb)] += moved
            a = pa; b = pb
        }
    }

    private mutating func newNode(bottom: Bool) -> Int {
        let n = nodeLen.count
        nodeChildren.append(contentsOf: repeatElement(-1, count: RGA.nodeCapacity))
        nodeCounts.append(contentsOf: repeatElement(0, count: RGA.nodeCapacity))
        nodeLen.append(0); nodeParent.append(-1); nodeBottom.append(bottom); nodeSlot.append(0)
        return n
    }
}
