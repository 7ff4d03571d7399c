/// Integration: placing inserted runs and marking deleted ones, shared by local
/// and remote edits.
extension RGA {
    /// A place in the tree: before element `offset` of span `span` of `leaf`
    /// (`span == leafLen[leaf]` means the end of the leaf).
    struct Cursor {
        var leaf: Int
        var span: Int
        var offset: Int
    }

    /// The cursor just after element `offset` of span `k` of `leaf`.
    @inline(__always)
    func cursor(after leaf: Int, span k: Int, offset: Int) -> Cursor {
        if offset + 1 < Int(spans[leaf * RGA.leafCapacity + k].length) { return Cursor(leaf: leaf, span: k, offset: offset + 1) }
        return Cursor(leaf: leaf, span: k + 1, offset: 0)
    }

    /// The cursor just after element `id` (the document start when nil). The
    /// element must exist. O(leaf size).
    @inline(__always)  // called out of line, it copied the whole RGA (400 bytes) first
    func cursor(after id: ElementID?) -> Cursor {
        guard let id else { return Cursor(leaf: firstLeaf, span: 0, offset: 0) }
        let r = slot(of: id.replica)!
        let (leaf, k, off) = locate(r, id.counter)
        return cursor(after: leaf, span: k, offset: off)
    }

    /// The leaf, span and offset of element (replica slot, counter), which
    /// must exist.
    ///
    /// Looks first at the spans around `lastPlace`: an operation most often
    /// names an element the one before it just inserted or deleted beside
    /// (typing after Backspace, Backspace after typing). A span holds the
    /// element or not, so the hint is checked, never trusted; a miss costs
    /// four span reads before the element table's binary search and the scan
    /// of the leaf. `leafHint`, when not -1, is a leaf that may hold the
    /// element, looked through next (checked too). O(1) on a hit near
    /// `lastPlace`, O(leaf size) in `leafHint`, else O(log runs in a page +
    /// leaf size).
    @inline(__always)
    func locate(_ r: Int, _ counter: UInt32, leafHint: Int = -1) -> (leaf: Int, span: Int, offset: Int) {
        let (hl, hk) = lastPlace
        if hl < leafLen.count, let (k, off) = findSpan(in: hl, from: max(hk &- 2, 0), to: hk &+ 2, replica: r, counter: counter) {
            return (hl, k, off)
        }
        if leafHint >= 0, leafHint < leafLen.count, let (k, off) = findSpan(in: leafHint, from: 0, replica: r, counter: counter) {
            return (leafHint, k, off)
        }
        let leaf = self.leaf(of: r, counter)
        let (k, off) = findSpan(in: leaf, replica: r, counter: counter)
        return (leaf, k, off)
    }

    /// Whether element `offset` of `s` has a greater ID than `x`.
    @inline(__always)
    func isGreater(_ s: Span, _ offset: Int, than x: ElementID) -> Bool {
        let c = s.counter &+ UInt32(offset)
        if c != x.counter { return c > x.counter }
        return replicas[Int(s.replica)].id > x.replica
    }

    /// Inserts a chained run of `length` scalars with first ID (counter, replica slot `r`)
    /// after the element that `start` follows, skipping (RGA's rule) every
    /// following element whose ID is greater. Returns the visible position of the
    /// first inserted scalar when `wantPosition` (else -1), and the leaf and span
    /// now holding the run's last scalar.
    ///
    /// Within a span IDs grow, so once one element of a span is greater all the
    /// rest are: the skip moves a span at a time. O(log s + skipped spans).
    mutating func integrateInsert(_ r: Int, counter: UInt32, seq: UInt32, length: Int,
                                  from start: Cursor, wantPosition: Bool) -> (position: Int, leaf: Int, span: Int) {
        mutationStamp &+= 1
        let x = ElementID(counter: counter, replica: replicas[r].id)
        var leaf = start.leaf, k = start.span, off = start.offset
        while true {
            if k == leafLen[leaf] {
                let next = leafNext[leaf]
                if next < 0 || !isGreater(span(next, 0), 0, than: x) { break }
                leaf = next; k = 1; off = 0
                continue
            }
            if !isGreater(span(leaf, k), off, than: x) { break }
            k += 1; off = 0
        }
        let n = UInt32(length)
        var position = -1
        var home: Int, homeSpan: Int
        var group: UInt32
        if off > 0 {
            // Split the span we stopped inside, then put the run between the halves.
            let s = span(leaf, k)
            let right = Span(counter: s.counter &+ UInt32(off), replica: s.replica, length: s.length - UInt32(off),
                             deleted: s.deleted, group: s.group)
            spans[leaf * RGA.leafCapacity + k].length = UInt32(off)
            addVisible(leaf, -right.visible)
            let (rl, rk) = insertSpan(right, leaf: leaf, at: k + 1)
            placePiece(leaf: rl, span: rk)
            // A new group, whose leaf is known once the span is placed (inserting may split the leaf).
            group = newGroup(in: -1)
            let (nl, nk) = insertSpan(Span(counter: counter, replica: UInt32(r), length: n, deleted: false, group: group),
                                      leaf: rl, at: rk)
            groups[Int(group)].leaf = Int32(nl)
            home = nl; homeSpan = nk
            if wantPosition { position = visiblePosition(leaf: nl, span: nk, offset: 0) }
        } else {
            if wantPosition { position = visiblePosition(leaf: leaf, span: k, offset: 0) }
            let base = leaf * RGA.leafCapacity
            if k > 0, spans[base + k - 1].replica == UInt32(r), !spans[base + k - 1].deleted,
               spans[base + k - 1].counter &+ spans[base + k - 1].length == counter {
                // Typing: the run continues the span before it.
                spans[base + k - 1].length += n
                addVisible(leaf, Int(n))
                home = leaf; homeSpan = k - 1
                group = spans[base + k - 1].group
            } else {
                group = newGroup(in: -1)
                (home, homeSpan) = insertSpan(Span(counter: counter, replica: UInt32(r), length: n, deleted: false, group: group),
                                              leaf: leaf, at: k)
                groups[Int(group)].leaf = Int32(home)
            }
        }
        recordElements(r, counter: counter, seq: seq, length: length, group: group)
        lastPlace = (home, homeSpan)
        elementCount += Int(n)
        return (position, home, homeSpan)
    }

    /// Marks the elements of `run` deleted, appending the visible text removed
    /// to `edits` when given. Every target must exist. Who deleted them is the
    /// log's to say (see RGA+Deleters.swift). O(spans touched · log s).
    ///
    /// `leafHint`, when not -1, is a leaf that may hold the run's first
    /// element (where it was before earlier runs of the operation changed the
    /// tree): looked at, after `lastPlace`, before the element table. Checked,
    /// never trusted.
    mutating func integrateDelete(_ run: DeletedRun, edits: inout [TextEdit]?, leafHint: Int = -1) {
        mutationStamp &+= 1
        let r = slot(of: run.start.replica)!
        var c = run.lowCounter
        let end = c &+ run.length
        // Where the last piece was: the next one is most often in a following
        // span of the same leaf (marking a piece may join it with the span
        // before, so the search starts one earlier). Else the element table says.
        var lastLeaf = -1, lastSpan = 0
        while c != end {
            let leaf: Int, k: Int, off: Int
            if lastLeaf >= 0, let found = findSpan(in: lastLeaf, from: max(lastSpan - 1, 0), replica: r, counter: c) {
                (leaf, k, off) = (lastLeaf, found.span, found.offset)
            } else {
                // The hint is for the run's first element only.
                (leaf, k, off) = locate(r, c, leafHint: lastLeaf < 0 ? leafHint : -1)
            }
            lastLeaf = leaf; lastSpan = k
            let s = span(leaf, k)
            let take = min(s.length - UInt32(off), end &- c)
            if !s.deleted {
                if edits != nil {
                    edits!.append(TextEdit(position: visiblePosition(leaf: leaf, span: k, offset: off),
                                           removed: Int(take), inserted: []))
                }
                markDeleted(r, counter: c, length: take, leaf: leaf, span: k, offset: off)
            }
            c &+= take
        }
        if lastLeaf >= 0 { lastPlace = (lastLeaf, lastSpan) }
    }

    /// Turns `length` visible elements starting at element `offset` of span `k`
    /// into tombstones, splitting the span as needed and joining it with
    /// neighbouring tombstones.
    mutating func markDeleted(_ r: Int, counter: UInt32, length: UInt32, leaf: Int, span k: Int, offset: Int) {
        markHidden(r, counter: counter, length: length, leaf: leaf, span: k, offset: offset, hidden: true)
    }

    /// Gives `length` elements starting at element `offset` of span `k` (all
    /// of one visibility, the opposite of `hidden`) the visibility `hidden`,
    /// splitting the span as needed and joining it with neighbours that match.
    /// Only the tree changes: the elements' deleter records are untouched.
    mutating func markHidden(_ r: Int, counter: UInt32, length: UInt32, leaf: Int, span k: Int, offset: Int, hidden: Bool) {
        var leaf = leaf, k = k
        var s = span(leaf, k)
        let was = s.deleted
        let base = leaf * RGA.leafCapacity
        if offset > 0, offset + Int(length) == Int(s.length), k + 1 < leafLen[leaf],
           spans[base + k + 1].deleted == hidden, spans[base + k + 1].group == s.group, spans[base + k + 1].replica == s.replica, spans[base + k + 1].counter == counter &+ length {
            // The span's tail joins the next span (Backspace after Backspace): move it across.
            spans[base + k].length -= length
            spans[base + k + 1].counter = counter
            spans[base + k + 1].length += length
            addVisible(leaf, hidden ? -Int(length) : Int(length))
            return
        }
        if offset == 0, length < s.length, k > 0, spans[base + k - 1].deleted == hidden,
           spans[base + k - 1].group == s.group, spans[base + k - 1].replica == s.replica,
           spans[base + k - 1].counter &+ spans[base + k - 1].length == counter {
            // The span's head joins the previous span (Delete after Delete).
            spans[base + k - 1].length += length
            spans[base + k].counter &+= length
            spans[base + k].length -= length
            addVisible(leaf, hidden ? -Int(length) : Int(length))
            return
        }
        if offset > 0 {
            let right = Span(counter: counter, replica: s.replica, length: s.length - UInt32(offset), deleted: was, group: s.group)
            spans[leaf * RGA.leafCapacity + k].length = UInt32(offset)
            addVisible(leaf, -right.visible)
            (leaf, k) = insertSpan(right, leaf: leaf, at: k + 1)
            placePiece(leaf: leaf, span: k)
            s = span(leaf, k)
        }
        if length < s.length {
            let tail = Span(counter: counter &+ length, replica: s.replica, length: s.length - length, deleted: was, group: s.group)
            spans[leaf * RGA.leafCapacity + k].length = length
            addVisible(leaf, -tail.visible)
            let (tl, tk) = insertSpan(tail, leaf: leaf, at: k + 1)
            placePiece(leaf: tl, span: tk)
            // The insert may have split the leaf and moved our span: find it again.
            leaf = self.leaf(of: r, counter)
            k = findSpan(in: leaf, replica: r, counter: counter).span
        }
        spans[leaf * RGA.leafCapacity + k].deleted = hidden
        addVisible(leaf, hidden ? -Int(length) : Int(length))
        joinNeighbours(leaf: leaf, span: k)
    }

    /// Joins span `k` with its neighbours in the same leaf when they continue
    /// each other (same replica, consecutive counters, same visibility).
    private mutating func joinNeighbours(leaf: Int, span k: Int) {
        let base = leaf * RGA.leafCapacity
        var k = k
        if k + 1 < leafLen[leaf], joins(spans[base + k], spans[base + k + 1]) {
            spans[base + k].length += spans[base + k + 1].length
            removeSpanKeepingCounts(leaf: leaf, at: k + 1)
        }
        if k > 0, joins(spans[base + k - 1], spans[base + k]) {
            spans[base + k - 1].length += spans[base + k].length
            removeSpanKeepingCounts(leaf: leaf, at: k)
            k -= 1
        }
    }

    @inline(__always)
    private func joins(_ a: Span, _ b: Span) -> Bool {
        a.replica == b.replica && a.deleted == b.deleted && a.group == b.group && a.counter &+ a.length == b.counter
    }

    private mutating func removeSpanKeepingCounts(leaf: Int, at k: Int) {
        let base = leaf * RGA.leafCapacity
        let len = leafLen[leaf]
        precondition(k >= 0 && k < len, "span index outside the leaf")
        if k + 1 < len {
            spans.withUnsafeMutableBufferPointer { buf in
                let p = buf.baseAddress! + base
                (p + k).moveInitialize(from: p + k + 1, count: len - k - 1)  // regions overlap: a memmove
            }
        }
        leafLen[leaf] = len - 1
    }
}
