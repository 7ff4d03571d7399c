/// Versions: what a peer lacks, and the document as it was at any version.
extension RGA {
    /// Exactly the units this replica has and a replica at `version` lacks, as
    /// operations in an order that applies causally (this replica's log order).
    /// O(log of ops · replicas + result).
    public func operations(since version: VersionVector) -> [Operation] {
        operations(from: version, to: nil)
    }

    /// The units in `to` but not in `from` (all known units when `to` is nil), in
    /// log order, cut where an operation straddles either bound. `to` must be a
    /// version this replica has seen, or some results will not apply causally.
    public func operations(from: VersionVector, to: VersionVector?) -> [Operation] {
        // The first log entry any replica needs: binary search per replica.
        var first = log.count
        for r in replicas {
            let lo = from[r.id]
            if lo >= r.seqEnd { continue }
            if let to, to[r.id] <= lo { continue }
            let idx = r.logIndexes
            var a = 0, b = idx.count
            while a < b {
                let m = (a + b) / 2
                if log.seqEnd(at: Int(idx[m])) <= lo { a = m + 1 } else { b = m }
            }
            if a < idx.count { first = min(first, Int(idx[a])) }
        }
        var out: [Operation] = []
        var i = first
        while i < log.count {
            let replica = log.replica(at: i)
            let lo = from[replica]
            let hi = to.map { $0[replica] } ?? UInt32.max
            let s = log.seq(at: i), e = log.seqEnd(at: i)
            i += 1
            if e <= lo || s >= hi { continue }
            let op = log[i - 1]
            if s >= lo && e <= hi { out.append(op); continue }
            out.append(op.slice(Int(max(s, lo) - s), Int(min(e, hi) - s)))
        }
        return out
    }

    /// The text as it was at `version` (a version this replica has seen): the
    /// elements inserted by units in it, less those deleted by units in it.
    /// O(n + the deleter index; see RGA+Deleters.swift): elements keep their
    /// places forever, so no replay is needed.
    public func text(at version: VersionVector) -> String {
        var limits: [UInt32] = replicas.map { version[$0.id] }
        limits.append(0)
        let deleters = deleterIndex()
        var out = String.UnicodeScalarView()
        var leaf = firstLeaf
        while leaf >= 0 {
            for k in 0 ..< leafLen[leaf] {
                let s = span(leaf, k)
                let r = Int(s.replica)
                deleters.tables[r].forEachRun(s.counter, s.counter &+ s.length) { run in
                    for i in 0 ..< run.length {
                        let e = entry(run, i)
                        if e.seq >= limits[r] { continue }
                        if s.deleted && deletedAt(r, run.start &+ i, e, limits, deleters) { continue }
                        out.append(Unicode.Scalar(e.scalar)!)
                    }
                }
            }
            leaf = leafNext[leaf]
        }
        return String(out)
    }

    private func deletedAt(_ r: Int, _ c: UInt32, _ e: ElementEntry, _ limits: [UInt32], _ deleters: DeleterIndex) -> Bool {
        guard e.deleterReplica != ElementEntry.noDeleter else { return false }
        if e.deleterSeq < limits[Int(e.deleterReplica)] { return true }
        guard let more = deleters.extra[ElementKey(replica: UInt32(r), counter: c)] else { return false }
        return more.contains { $0.seq < limits[Int($0.replica)] }
    }

    // MARK: Visible index ↔ element

    /// The ID of the visible element at `index` (< count). O(log s).
    public func id(at index: Int) -> ElementID {
        precondition(index >= 0 && index < count, "index \(index) outside 0..<\(count)")
        let (leaf, k, off) = locateVisible(index)
        let s = span(leaf, k)
        return ElementID(counter: s.counter &+ UInt32(off), replica: replicas[Int(s.replica)].id)
    }

    /// Where element `id` is: its visible index and whether it is still visible.
    /// A deleted element reports the index of the first visible element after it
    /// (or `count`), which is where a cursor anchored to it belongs. Nil when the
    /// element is unknown. O(log s).
    public func index(of id: ElementID) -> (index: Int, visible: Bool)? {
        guard let r = slot(of: id.replica), contains(r, id.counter) else { return nil }
        let leaf = self.leaf(of: r, id.counter)
        let (k, off) = findSpan(in: leaf, replica: r, counter: id.counter)
        let s = span(leaf, k)
        return (visiblePosition(leaf: leaf, span: k, offset: off), !s.deleted)
    }

    /// The element right after `id` in the sequence, tombstones included:
    /// `.some(nil)` when `id` is the last element, nil when `id` is unknown.
    /// Undo uses it to tell which deleted elements still sit side by side
    /// (nothing, not even a tombstone, between them). O(log s).
    public func element(after id: ElementID) -> ElementID?? {
        guard let r = slot(of: id.replica), contains(r, id.counter) else { return nil }
        let leaf = self.leaf(of: r, id.counter)
        let (k, off) = findSpan(in: leaf, replica: r, counter: id.counter)
        let s = span(leaf, k)
        if UInt32(off) + 1 < s.length {
            return .some(ElementID(counter: s.counter &+ UInt32(off) &+ 1, replica: replicas[Int(s.replica)].id))
        }
        var l = leaf, j = k + 1
        while j >= leafLen[l] {
            l = leafNext[l]
            if l < 0 { return .some(nil) }
            j = 0
        }
        let t = span(l, j)
        return .some(ElementID(counter: t.counter, replica: replicas[Int(t.replica)].id))
    }

    /// The visible index of a cursor anchored just after `element` (a peer's
    /// cursor, an undo position): 0 for nil (the document's start), the index
    /// after the element when it is visible, the first visible element after it
    /// when it was deleted, and nil when the element is not known here yet.
    /// The inverse of `cursorElement(at:)` for visible anchors. O(log s).
    public func cursorIndex(after element: ElementID?) -> Int? {
        guard let element else { return 0 }
        guard let (i, visible) = index(of: element) else { return nil }
        return visible ? i + 1 : i
    }

    /// The anchor of a cursor at visible index `index` (0 … count): the
    /// element before it, or nil at the start. O(log s).
    public func cursorElement(at index: Int) -> ElementID? {
        index > 0 ? id(at: index - 1) : nil
    }

    /// The scalar of a known element (visible or not). O(log runs in a page).
    public func scalar(of id: ElementID) -> Unicode.Scalar? {
        guard let r = slot(of: id.replica), contains(r, id.counter) else { return nil }
        return Unicode.Scalar(entry(r, id.counter).scalar)
    }

    /// Number of spans in the tree (a measure of fragmentation). O(leaves).
    public var spanCount: Int { leafLen.reduce(0, +) }
}

/// One element as stored, for building views over the whole history.
public struct ElementInfo: Sendable {
    public var id: ElementID
    public var scalar: Unicode.Scalar
    /// Seq of the unit that inserted it (of `id.replica`).
    public var seq: UInt32
    /// The first unit applied here that deleted it, if any.
    public var deletedBy: (replica: ReplicaID, seq: UInt32)?
}

extension RGA {
    /// Calls `body` with every element ever inserted, tombstones included, in
    /// document order. O(n + the deleter index; see RGA+Deleters.swift).
    public func forEachElement(_ body: (ElementInfo) -> Void) {
        let deleters = deleterIndex()
        var leaf = firstLeaf
        while leaf >= 0 {
            for k in 0 ..< leafLen[leaf] {
                let s = span(leaf, k)
                let r = Int(s.replica)
                let id = replicas[r].id
                deleters.tables[r].forEachRun(s.counter, s.counter &+ s.length) { run in
                    for i in 0 ..< run.length {
                        let e = entry(run, i)
                        let deleter = e.deleterReplica == ElementEntry.noDeleter ? nil
                            : (replica: replicas[Int(e.deleterReplica)].id, seq: e.deleterSeq)
                        body(ElementInfo(id: ElementID(counter: run.start &+ i, replica: id), scalar: Unicode.Scalar(e.scalar)!,
                                         seq: e.seq, deletedBy: deleter))
                    }
                }
            }
            leaf = leafNext[leaf]
        }
    }

    /// The Lamport counter of unit `seq` of `replica`, if applied here. O(log ops).
    public func counter(ofUnit seq: UInt32, of replica: ReplicaID) -> UInt32? {
        guard let r = slot(of: replica), seq < replicas[r].seqEnd else { return nil }
        let idx = replicas[r].logIndexes
        var a = 0, b = idx.count
        while a < b {
            let m = (a + b) / 2
            if log.seqEnd(at: Int(idx[m])) <= seq { a = m + 1 } else { b = m }
        }
        return log.counter(at: Int(idx[a])) &+ (seq &- log.seq(at: Int(idx[a])))
    }
}
