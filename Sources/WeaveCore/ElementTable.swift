/// One replica's elements by counter, run-length encoded: counter → (group, seq,
/// scalar, first deleter). The document's live tables leave the deleter empty
/// (its deletes touch only the tree); the deleter index of RGA+Deleters.swift
/// fills it in a copy, replaying the log's deletes.
///
/// A run is a stretch of consecutive counters whose elements are in one group
/// (a set of spans in one leaf; `RGA.groups` says which leaf: see RGA+Groups.swift),
/// were inserted by consecutive units, have their scalars consecutive in the
/// log, and were deleted by consecutive units of one replica going up or down
/// (or not at all). Typing makes one run per burst; a burst later deleted by
/// Backspace stays one run. Counters a replica spent on deletes, or skipped when
/// its Lamport clock jumped, are simply not in any run, so they cost nothing.
///
/// Runs live in pages of `pageSize` counters (a run never crosses a page), each
/// page a sorted array, so a lookup is a binary search in one page and a split
/// moves at most one page's runs.
///
/// Laws (checked by `checkInvariants`): runs in a page are sorted, disjoint,
/// non-empty and inside the page; no two neighbours could be joined (runs are
/// maximal). Costs: lookup O(log runs in a page); `append` amortised O(1) per
/// page touched; `apply` O(runs in the pages touched).
struct ElementTable: Sendable {
    static let pageShift = 10
    static let pageSize = 1 << pageShift
    /// Runs a new page has room for before it first grows.
    static let initialPageCapacity = 8

    /// Runs by page (`counter >> pageShift`); a page no counter of which is an element is empty.
    var pages: [[ElementRun]] = []

    init() {}

    /// Index of the first page past the one holding `c`, as a counter (UInt64: no overflow).
    @inline(__always)
    static func pageEnd(_ c: UInt32) -> UInt64 { (UInt64(c >> UInt32(pageShift)) + 1) << UInt64(pageShift) }

    /// The first counter in `lo ..< hi` that is not an element here, or nil when
    /// all are. O(runs covering the range · log runs in a page).
    func firstMissing(_ lo: UInt32, _ hi: UInt32) -> UInt32? {
        var c = lo
        while c < hi {
            guard let run = run(holding: c) else { return c }
            c = run.end
        }
        return nil
    }

    /// The run holding counter `c`, or nil when `c` is not an element here. O(log runs in its page).
    @inline(__always)
    func run(holding c: UInt32) -> ElementRun? {
        let p = Int(c >> UInt32(ElementTable.pageShift))
        guard p < pages.count else { return nil }
        return pages[p].withUnsafeBufferPointer { runs -> ElementRun? in
            let i = ElementTable.lastStarting(atOrBefore: c, in: runs)
            guard i >= 0, c < runs[i].end else { return nil }
            return runs[i]
        }
    }

    /// Index of the last run starting at or before `c`, or -1. O(log runs).
    @inline(__always)
    static func lastStarting(atOrBefore c: UInt32, in runs: UnsafeBufferPointer<ElementRun>) -> Int {
        var lo = 0, hi = runs.count
        while lo < hi {
            let m = (lo + hi) >> 1
            if runs[m].start <= c { lo = m + 1 } else { hi = m }
        }
        return lo - 1
    }

    // MARK: Adding elements

    /// Records `length` new elements from counter `counter`, inserted by units
    /// `seq …`, whose scalars are at `scalar …` in the log, all in `group`. Their
    /// counters must lie above every element already here (a replica's counters
    /// only grow). Amortised O(pages touched).
    mutating func append(counter: UInt32, length: UInt32, seq: UInt32, scalar: UInt32, group: UInt32) {
        // Typing: the elements continue the page's last run (same group, the next
        // counters, seqs and scalars, not deleted), which grows in place.
        let p0 = Int(counter >> UInt32(ElementTable.pageShift))
        if p0 < pages.count, UInt64(counter) + UInt64(length) <= ElementTable.pageEnd(counter) {
            let grown = pages.withUnsafeMutableBufferPointer { pages -> Bool in
                pages[p0].withUnsafeMutableBufferPointer { runs -> Bool in
                    guard let last = runs.indices.last else { return false }
                    let r = runs[last]
                    precondition(r.end <= counter, "element counters must grow")
                    guard r.end == counter, r.group == group, r.seq &+ r.length == seq, r.scalar &+ r.length == scalar,
                          r.deleterReplica == ElementRun.noDeleter else { return false }
                    runs[last].length = r.length &+ length
                    return true
                }
            }
            if grown { return }
        }
        var c = counter, s = seq, x = scalar, left = length
        while left > 0 {
            let p = Int(c >> UInt32(ElementTable.pageShift))
            let n = UInt32(min(UInt64(left), ElementTable.pageEnd(c) - UInt64(c)))
            if pages.count <= p { pages.append(contentsOf: repeatElement([], count: p + 1 - pages.count)) }
            ElementTable.add(ElementRun(start: c, length: n, group: group, seq: s, scalar: x), to: &pages[p])
            c &+= n; s &+= n; x &+= n; left -= n
        }
    }

    /// Puts `new` at the end of `page`, joined with the last run when it
    /// continues it (typing grows one run in place). One access to the page.
    @inline(__always)
    private static func add(_ new: ElementRun, to page: inout [ElementRun]) {
        let count = page.count
        if count == 0 {
            // A new page: room for a few runs at once, so the splits that
            // follow do not regrow (and copy) it one run at a time.
            page.reserveCapacity(ElementTable.initialPageCapacity)
            page.append(new)
            return
        }
        let joined = page.withUnsafeMutableBufferPointer { runs -> Bool in
            let last = runs[count &- 1]
            precondition(last.end <= new.start, "element counters must grow")
            guard let j = ElementRun.joined(last, new) else { return false }
            runs[count &- 1] = j
            return true
        }
        if !joined { page.append(new) }
    }

    // MARK: Changing elements

    /// Puts the elements `lo ..< hi` in `group` (their spans moved to another
    /// leaf without the rest of their group), splitting the runs at both ends
    /// and joining what became joinable. Every counter in the range must be an
    /// element.
    ///
    /// Works in place: per page, one binary search, at most one growth of the
    /// page by the (at most two) cut-off ends and one compaction of the joins,
    /// each a memmove of the page's later runs. O(log runs in a page + runs in
    /// the range + runs after it in its pages).
    mutating func setGroup(_ group: UInt32, _ lo: UInt32, _ hi: UInt32) {
        var c = lo
        while c < hi {
            let p = Int(c >> UInt32(ElementTable.pageShift))
            let stop = UInt32(min(UInt64(hi), ElementTable.pageEnd(c)))
            setGroup(group, page: p, c, stop)
            c = stop
        }
    }

    /// `setGroup` within page `p` (`lo ..< hi` inside it).
    private mutating func setGroup(_ group: UInt32, page p: Int, _ lo: UInt32, _ hi: UInt32) {
        // The runs overlapping the range, i ... j, and whether the range cuts the first and last.
        let (i, j, head, tail) = pages[p].withUnsafeBufferPointer { runs -> (Int, Int, Bool, Bool) in
            let i = ElementTable.lastStarting(atOrBefore: lo, in: runs)
            precondition(i >= 0 && lo < runs[i].end, "counter \(lo) is not an element")
            var j = i
            while runs[j].end < hi {
                precondition(j + 1 < runs.count && runs[j + 1].start == runs[j].end, "changed counters must be elements")
                j += 1
            }
            return (i, j, runs[i].start < lo, runs[j].end > hi)
        }
        let extra = (head ? 1 : 0) + (tail ? 1 : 0)
        if extra > 0 {
            // Room for the cut-off ends: grow the page, then shift the later runs up.
            let filler = pages[p][i]
            for _ in 0 ..< extra { pages[p].append(filler) }
        }
        let removed = pages[p].withUnsafeMutableBufferPointer { runs -> Int in
            let base = runs.baseAddress!
            let count = runs.count
            let old = count &- extra
            if extra > 0, j &+ 1 < old {
                (base + j + 1 + extra).moveInitialize(from: base + j + 1, count: old &- j &- 1)
            }
            let first = runs[i], last = runs[j]
            // The runs i ... j, cut to the range and moved, land at i + (head ? 1 : 0).
            let h = head ? 1 : 0
            if h > 0 {
                // Shift i ... j up by one (backwards: the regions overlap) to make room for the head.
                var k = j
                while k >= i { runs[k &+ 1] = runs[k]; k &-= 1 }
                runs[i] = first.cut(0, lo &- first.start)
            }
            var k = i &+ h
            while k <= j &+ h {
                var r = runs[k]
                if r.start < lo { r = r.cut(lo &- r.start, r.length) }
                if r.end > hi { r = r.cut(0, hi &- r.start) }
                r.group = group
                runs[k] = r
                k &+= 1
            }
            if tail { runs[j &+ h &+ 1] = last.cut(hi &- last.start, last.length) }
            // Join what became joinable, from the run before the range to the one after it.
            let a = max(i &- 1, 0)
            let b = min(j &+ extra &+ 1, count &- 1)
            var w = a
            var r = a &+ 1
            while r <= b {
                if let joined = ElementRun.joined(runs[w], runs[r]) { runs[w] = joined } else { w &+= 1; runs[w] = runs[r] }
                r &+= 1
            }
            let gone = b &- w
            if gone > 0, b &+ 1 < count { (base + w + 1).moveInitialize(from: base + b + 1, count: count &- b &- 1) }
            return gone
        }
        if removed > 0 { pages[p].removeLast(removed) }
    }

    /// A change to a range of elements.
    enum Change {
        /// Replica slot `replica` deleted them: the element at `lo` by unit `seq`,
        /// each next one by `seq + step`. Elements deleted before keep their first
        /// deleter; these units are reported as extra deleters instead.
        case deleter(replica: UInt32, lo: UInt32, seq: UInt32, step: Int8)
    }

    /// Applies `change` to exactly the counters `lo ..< hi` (splitting runs at
    /// both ends first), then joins what became joinable. Every counter in the
    /// range must be an element. Appends to `extra` each (counter, seq) of a
    /// deleter that came second. O(runs in the pages touched).
    mutating func apply(_ change: Change, _ lo: UInt32, _ hi: UInt32, extra: inout [(counter: UInt32, seq: UInt32)]) {
        // Most often the range is exactly one run (a deleted element).
        // Else, for a delete, often its live elements sit at one end of a run and
        // continue the deleted run beside it (see `deleteAtEdge`). One search
        // in one page serves both.
        let p0 = Int(lo >> UInt32(ElementTable.pageShift))
        if p0 < pages.count {
            var exact = -1
            let done = pages[p0].withUnsafeMutableBufferPointer { runs -> Bool in
                let i = ElementTable.lastStarting(atOrBefore: lo, in: UnsafeBufferPointer(runs))
                guard i >= 0 else { return false }
                if runs[i].start == lo, runs[i].end == hi {
                    ElementTable.apply(change, to: &runs[i], extra: &extra)
                    exact = i
                    return true
                }
                if case .deleter = change, UInt64(hi) <= ElementTable.pageEnd(lo) {
                    return ElementTable.deleteAtEdge(change, lo, hi, runs: runs, at: i)
                }
                return false
            }
            if exact >= 0 { coalesce(page: p0, from: max(exact - 1, 0), through: exact + 1) }
            if done { return }
        }
        var c = lo
        while c < hi {
            let p = Int(c >> UInt32(ElementTable.pageShift))
            let stop = UInt32(min(UInt64(hi), ElementTable.pageEnd(c)))
            let i = split(page: p, at: c)
            let j = split(page: p, at: stop)
            precondition(i < j && pages[p][i].start == c, "changed counters must be elements")
            for k in i ..< j { ElementTable.apply(change, to: &pages[p][k], extra: &extra) }
            coalesce(page: p, from: max(i - 1, 0), through: j)
            c = stop
        }
    }

    /// Deleting live elements at one end of their run, where they then continue
    /// the deleted run beside them (Backspace after Backspace, Delete after
    /// Delete, a merged run of either): moves them from one run to the other in
    /// place, with no split and no join. Returns false when that is not the case.
    /// `i` is the run of `runs` (one page) that starts at or before `lo`.
    @inline(__always)
    private static func deleteAtEdge(_ change: Change, _ lo: UInt32, _ hi: UInt32,
                                     runs: UnsafeMutableBufferPointer<ElementRun>, at i: Int) -> Bool {
        guard i >= 0, !runs[i].isDeleted, hi <= runs[i].end, hi &- lo < runs[i].length else { return false }
        var none: [(counter: UInt32, seq: UInt32)] = []
        let from = lo &- runs[i].start, to = hi &- runs[i].start
        if hi == runs[i].end, i + 1 < runs.count {
            var piece = runs[i].cut(from, to)
            ElementTable.apply(change, to: &piece, extra: &none)
            guard let joined = ElementRun.joined(piece, runs[i + 1]) else { return false }
            runs[i].length = from
            runs[i + 1] = joined
            return true
        }
        if from == 0, i > 0 {
            var piece = runs[i].cut(0, to)
            ElementTable.apply(change, to: &piece, extra: &none)
            guard let joined = ElementRun.joined(runs[i - 1], piece) else { return false }
            runs[i - 1] = joined
            runs[i] = runs[i].cut(to, runs[i].length)
            return true
        }
        return false
    }

    @inline(__always)
    private static func apply(_ change: Change, to run: inout ElementRun, extra: inout [(counter: UInt32, seq: UInt32)]) {
        switch change {
        case .deleter(let replica, let lo, let seq, let step):
            let k = run.start &- lo
            let first = step > 0 ? seq &+ k : seq &- k
            if run.isDeleted {
                for i in 0 ..< run.length { extra.append((run.start &+ i, step > 0 ? first &+ i : first &- i)) }
            } else {
                run.deleterReplica = replica
                run.deleterSeq = first
                run.deleterStep = step
            }
        }
    }

    /// Makes a run of page `p` start at `c` when one holds it, and returns the
    /// index of the first run starting at or after `c`. O(runs in the page).
    private mutating func split(page p: Int, at c: UInt32) -> Int {
        let i = pages[p].withUnsafeBufferPointer { ElementTable.lastStarting(atOrBefore: c, in: $0) }
        if i < 0 { return 0 }
        let r = pages[p][i]
        if r.start == c { return i }
        if c >= r.end { return i + 1 }
        let (left, right) = r.split(at: c &- r.start)
        pages[p][i] = left
        pages[p].insert(right, at: i + 1)
        return i + 1
    }

    /// Joins neighbouring runs of page `p` between indexes `a` and `b` (inclusive, clamped).
    private mutating func coalesce(page p: Int, from a: Int, through b: Int) {
        var k = a + 1
        var last = min(b, pages[p].count - 1)
        while k <= last {
            if let joined = ElementRun.joined(pages[p][k - 1], pages[p][k]) {
                pages[p][k - 1] = joined
                pages[p].remove(at: k)
                last -= 1
            } else {
                k += 1
            }
        }
    }

    // MARK: Reading ranges

    /// Calls `body` with the runs covering `lo ..< hi`, cut to that range, in
    /// counter order. Every counter in the range must be an element. O(log + runs).
    func forEachRun(_ lo: UInt32, _ hi: UInt32, _ body: (ElementRun) -> Void) {
        var hint = -1  // no hint: a binary search per page
        forEachRun(lo, hi, hint: &hint, body)
    }

    /// `forEachRun(lo, hi, body)` for a caller that walks counters mostly
    /// upwards: `hint` is the index, in its page, of the run tried first for
    /// `lo` (then the one after it) before a binary search, and is left at
    /// the last run visited. Any hint gives the same runs. O(runs visited)
    /// when it hits, else O(log + runs).
    @inline(__always)
    func forEachRun(_ lo: UInt32, _ hi: UInt32, hint: inout Int, _ body: (ElementRun) -> Void) {
        var c = lo
        while c < hi {
            let p = Int(c >> UInt32(ElementTable.pageShift))
            let stop = UInt32(min(UInt64(hi), ElementTable.pageEnd(c)))
            pages[p].withUnsafeBufferPointer { runs in
                var i: Int
                if hint >= 0, hint < runs.count, runs[hint].start <= c, c < runs[hint].end {
                    i = hint
                } else if hint >= 0, hint + 1 < runs.count, runs[hint + 1].start <= c, c < runs[hint + 1].end {
                    i = hint + 1
                } else {
                    i = ElementTable.lastStarting(atOrBefore: c, in: runs)
                    precondition(i >= 0, "counter \(c) is not an element")
                }
                while c < stop {
                    let r = runs[i]
                    precondition(r.start <= c && c < r.end, "counter \(c) is not an element")
                    let from = c &- r.start
                    let to = min(r.end, stop) &- r.start
                    body(r.cut(from, to))
                    c = r.start &+ to
                    hint = i
                    i += 1
                }
            }
        }
    }

    /// Number of runs (a measure of fragmentation). O(pages).
    var runCount: Int { pages.reduce(0) { $0 + $1.count } }

    /// Checks the laws above; returns the first one broken. O(runs).
    func violation() -> String? {
        for (p, runs) in pages.enumerated() {
            let base = UInt64(p) << UInt64(ElementTable.pageShift)
            for (i, r) in runs.enumerated() {
                if r.length == 0 { return "empty element run in page \(p)" }
                if UInt64(r.start) < base || UInt64(r.end) > base + UInt64(ElementTable.pageSize) {
                    return "element run \(r.start)+\(r.length) outside page \(p)"
                }
                if i > 0 {
                    if runs[i - 1].end > r.start { return "element runs overlap at \(r.start)" }
                    if ElementRun.joined(runs[i - 1], r) != nil { return "element runs at \(runs[i - 1].start) and \(r.start) are not joined" }
                }
            }
        }
        return nil
    }
}

/// A run of a replica's elements with consecutive counters; see `ElementTable`.
/// 28 bytes, whatever its length.
struct ElementRun: Sendable, Equatable {
    static let noDeleter = UInt32.max
    /// Counter of the first element.
    var start: UInt32
    var length: UInt32
    /// The group of every element of the run (its leaf: `RGA.groups[group].leaf`).
    var group: UInt32
    /// Seq of the unit that inserted the first element (the k-th: `seq + k`).
    var seq: UInt32
    /// Index in the log's scalars of the first element's scalar.
    var scalar: UInt32
    /// Replica slot of every element's first deleter (`noDeleter`: none), and
    /// in the top bit whether `deleterStep` is -1.
    private var deleterAndStep: UInt32 = ElementRun.noDeleter
    /// Seq of the unit that first deleted the first element; the k-th's is
    /// `deleterSeq + deleterStep · k` (Backspace deletes going down).
    var deleterSeq: UInt32 = 0

    init(start: UInt32, length: UInt32, group: UInt32, seq: UInt32, scalar: UInt32,
         deleterReplica: UInt32 = ElementRun.noDeleter, deleterSeq: UInt32 = 0, deleterStep: Int8 = 1) {
        self.start = start
        self.length = length
        self.group = group
        self.seq = seq
        self.scalar = scalar
        self.deleterSeq = deleterSeq
        self.deleterReplica = deleterReplica
        self.deleterStep = deleterStep
    }

    private static let downBit: UInt32 = 1 << 31
    /// Replica slot of every element's first deleter, or `noDeleter` (slots are below 2³¹).
    var deleterReplica: UInt32 {
        @inline(__always) get {
            let r = deleterAndStep & ~ElementRun.downBit
            return r == ElementRun.noDeleter & ~ElementRun.downBit ? ElementRun.noDeleter : r
        }
        set { deleterAndStep = (newValue & ~ElementRun.downBit) | (deleterAndStep & ElementRun.downBit) }
    }
    /// +1 or -1.
    var deleterStep: Int8 {
        @inline(__always) get { deleterAndStep & ElementRun.downBit != 0 ? -1 : 1 }
        set { deleterAndStep = newValue < 0 ? deleterAndStep | ElementRun.downBit : deleterAndStep & ~ElementRun.downBit }
    }

    @inline(__always) var end: UInt32 { start &+ length }
    @inline(__always) var isDeleted: Bool { deleterReplica != ElementRun.noDeleter }

    /// Deleter seq of element `k` of the run.
    @inline(__always)
    func deleterSeq(_ k: UInt32) -> UInt32 { deleterStep > 0 ? deleterSeq &+ k : deleterSeq &- k }

    /// Elements `from ..< to` of the run as a run. O(1).
    @inline(__always)
    func cut(_ from: UInt32, _ to: UInt32) -> ElementRun {
        var r = self
        r.start = start &+ from
        r.length = to - from
        r.seq = seq &+ from
        r.scalar = scalar &+ from
        r.deleterSeq = deleterSeq(from)
        return r
    }

    /// The run cut before element `k` (0 < k < length). O(1).
    func split(at k: UInt32) -> (ElementRun, ElementRun) { (cut(0, k), cut(k, length)) }

    /// `a` and `b` as one run when `b` continues `a` in every field, else nil. O(1).
    static func joined(_ a: ElementRun, _ b: ElementRun) -> ElementRun? {
        guard a.end == b.start, a.group == b.group, b.seq == a.seq &+ a.length, b.scalar == a.scalar &+ a.length,
              a.deleterReplica == b.deleterReplica else { return nil }
        var out = a
        out.length = a.length + b.length
        if a.deleterReplica == ElementRun.noDeleter { return out }
        // A single element's deleter goes either way.
        if b.deleterSeq == a.deleterSeq &+ a.length && (a.length == 1 || a.deleterStep == 1) && (b.length == 1 || b.deleterStep == 1) {
            out.deleterStep = 1
            return out
        }
        if b.deleterSeq == a.deleterSeq &- a.length && (a.length == 1 || a.deleterStep == -1) && (b.length == 1 || b.deleterStep == -1) {
            out.deleterStep = -1
            return out
        }
        return nil
    }
}
