/// Local editing: turning "insert at visible index" and "delete a visible range"
/// into operations, applying them, and recording them in the log.
extension RGA {
    /// Inserts `text` so that its first scalar lands at visible index `position`,
    /// and returns the operation to send to peers (nil when `text` is empty).
    /// Precondition: `0 <= position <= count`. O(log s + text.count).
    @discardableResult
    public mutating func insert(_ text: [Unicode.Scalar], at position: Int) -> Operation? {
        precondition(position >= 0 && position <= count, "insert position \(position) outside 0...\(count)")
        guard !text.isEmpty else { return nil }
        let counter = lamport, seq = replicas[local].seqEnd
        let after: ElementID?
        let start: Cursor
        if let t = typing, t.stamp == mutationStamp, t.end == position {
            // Typing on: the last scalar of the span the previous local edit left
            // its place in (its own insert, or what a Backspace left) is the
            // reference, and nothing has changed since, so its place is known.
            let s = span(t.leaf, t.span)
            after = ElementID(counter: s.counter &+ s.length &- 1, replica: replicas[Int(s.replica)].id)
            start = Cursor(leaf: t.leaf, span: t.span + 1, offset: 0)
        } else if position == 0 {
            after = nil
            start = Cursor(leaf: firstLeaf, span: 0, offset: 0)
        } else {
            let (leaf, k, off) = locateVisible(position - 1)
            let s = span(leaf, k)
            after = ElementID(counter: s.counter &+ UInt32(off), replica: replicas[Int(s.replica)].id)
            start = cursor(after: leaf, span: k, offset: off)
        }
        let home = integrateInsert(local, counter: counter, seq: seq, text: text, from: start, wantPosition: false)
        typing = TypingCache(end: position + text.count, leaf: home.leaf, span: home.span, stamp: mutationStamp)
        let op = Operation(replica: localReplica, seq: seq, counter: counter, body: .insert(after: after, text: text))
        advance(local, by: op)
        appendToLog(op)
        return op
    }

    /// Inserts `text` directly after element `reference` in the sequence (nil:
    /// the start), whether that element is visible or deleted, and returns the
    /// operation with the visible index where its first scalar landed (nil
    /// when `text` is empty or `reference` is unknown here).
    ///
    /// This is how undo puts deleted text back: after the tombstone of the
    /// first deleted element, so the text lands exactly where it was and in
    /// its order, even when several deletions around the same place are undone
    /// one after the other (an insert at a visible index would land before
    /// every tombstone there). The new elements are newer than every sibling
    /// of `reference`, so RGA places them right after it. O(log s + text.count).
    @discardableResult
    public mutating func insert(_ text: [Unicode.Scalar], after reference: ElementID?) -> (operation: Operation, position: Int)? {
        guard !text.isEmpty else { return nil }
        if let reference {
            guard let r = slot(of: reference.replica), contains(r, reference.counter) else { return nil }
        }
        let op = Operation(replica: localReplica, seq: replicas[local].seqEnd, counter: lamport,
                           body: .insert(after: reference, text: text))
        let edits = integrate(op)
        typing = nil
        return (op, edits.first?.position ?? 0)
    }

    /// Inserts a string; see `insert(_:at:)`.
    @discardableResult
    public mutating func insert(_ text: String, at position: Int) -> Operation? {
        insert(Array(text.unicodeScalars), at: position)
    }

    /// Deletes `length` visible scalars starting at visible index `position`, and
    /// returns the operation to send (nil when `length` is 0).
    /// Precondition: the range lies within `0 ..< count`. O(runs · log s).
    @discardableResult
    public mutating func delete(at position: Int, length: Int) -> Operation? {
        precondition(position >= 0 && length >= 0 && position + length <= count,
                     "delete range \(position)..<\(position + length) outside 0..<\(count)")
        guard length > 0 else { return nil }
        var (leaf, k, off) = (0, 0, 0)
        if let t = typing, t.stamp == mutationStamp, t.end == position + length, !span(t.leaf, t.span).deleted,
           Int(span(t.leaf, t.span).length) >= length {
            // Backspace right after typing (or after Backspace): the range ends the
            // span the last local edit left its place in.
            (leaf, k, off) = (t.leaf, t.span, Int(span(t.leaf, t.span).length) - length)
        } else {
            (leaf, k, off) = locateVisible(position)
        }
        let s = span(leaf, k)
        if Int(s.length) - off >= length {
            // One visible span holds the whole range (Backspace, Delete, most
            // selections): mark it where it was found, without looking it up again.
            let r = Int(s.replica), c = s.counter &+ UInt32(off)
            let op = Operation(replica: localReplica, seq: replicas[local].seqEnd, counter: lamport,
                               body: .delete([DeletedRun(start: ElementID(counter: c, replica: replicas[r].id), length: UInt32(length))]))
            mutationStamp &+= 1
            recordDeleter(r, c, length: UInt32(length), deleter: local, seq: op.seq, step: 1)
            markDeleted(r, counter: c, length: UInt32(length), leaf: leaf, span: k, offset: off)
            // When the span's head stayed where it was, the next Backspace or key
            // finds its place from there.
            if off > 0, k < leafLen[leaf], span(leaf, k).replica == s.replica, span(leaf, k).counter == s.counter,
               !span(leaf, k).deleted, Int(span(leaf, k).length) == off {
                typing = TypingCache(end: position, leaf: leaf, span: k, stamp: mutationStamp)
            } else {
                typing = nil
            }
            advance(local, by: op)
            appendToLog(op)
            return op
        }
        let runs = visibleRuns(at: position, length: length)
        let op = Operation(replica: localReplica, seq: replicas[local].seqEnd, counter: lamport, body: .delete(runs))
        var none: [TextEdit]? = nil
        var unit = op.seq
        for run in runs {
            integrateDelete(run, deleter: local, seqBase: unit, edits: &none)
            unit &+= run.length
        }
        advance(local, by: op)
        appendToLog(op)
        return op
    }

    /// The visible elements `position ..< position + length` as runs of
    /// consecutive IDs, in document order. O(runs · log s).
    func visibleRuns(at position: Int, length: Int) -> [DeletedRun] {
        var runs: [DeletedRun] = []
        var (leaf, k, off) = locateVisible(position)
        var rest = length
        while rest > 0 {
            if k == leafLen[leaf] { leaf = leafNext[leaf]; k = 0; off = 0; continue }
            let s = span(leaf, k)
            if !s.deleted {
                let take = min(Int(s.length) - off, rest)
                Operation.appendRun(DeletedRun(start: ElementID(counter: s.counter &+ UInt32(off), replica: replicas[Int(s.replica)].id),
                                               length: UInt32(take)), to: &runs)
                rest -= take
            }
            k += 1; off = 0
        }
        return runs
    }

    /// Where the last local edit left its place, valid while `stamp ==
    /// mutationStamp`: the visible element before index `end` is the last
    /// element of span `span` of `leaf` (an insert's last scalar, or what a
    /// Backspace left before the deleted range).
    struct TypingCache {
        var end: Int
        var leaf: Int
        var span: Int
        var stamp: Int
    }

    /// Moves replica slot `r`'s version and counters, and the Lamport clock, past `op`.
    mutating func advance(_ r: Int, by op: Operation) {
        let n = UInt32(op.length)
        replicas[r].seqEnd = op.seq &+ n
        replicas[r].counterEnd = op.counter &+ n
        if lamport < op.counter &+ n { lamport = op.counter &+ n }
    }

    /// Appends `op` to the log, joining it to the last entry when it continues it.
    mutating func appendToLog(_ op: Operation) {
        if log.append(op) {
            replicas[slot(of: op.replica)!].logIndexes.append(UInt32(log.count - 1))
        }
    }
}
