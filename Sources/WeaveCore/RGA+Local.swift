/// Local editing: turning "insert at visible index" and "delete a visible range"
/// into operations, applying them, and recording them in the log.
extension RGA {
    /// Inserts `text` so that its first scalar lands at visible index `position`,
    /// and returns the operation to send to peers (nil when `text` is empty).
    /// Precondition: `0 <= position <= count`. O(log s + text.count).
    @discardableResult
    public mutating func insert(_ text: [Unicode.Scalar], at position: Int) -> Operation? {
        guard !text.isEmpty else { return nil }
        let (after, counter, seq) = insertLocally(text, at: position)
        return Operation(replica: localReplica, seq: seq, counter: counter, body: .insert(after: after, text: text))
    }

    /// The same edit as `insert(_:at:)`, without building the operation to
    /// send (the log holds it: `log`, `operations(since:)`). For replays and
    /// imports that have no peer to tell; an `Operation` owns its payload, so
    /// building and dropping one per key is a fifth of a replay.
    /// Precondition: `0 <= position <= count`. O(log s + text.count).
    public mutating func insertUnreported(_ text: [Unicode.Scalar], at position: Int) {
        guard !text.isEmpty else { return }
        _ = insertLocally(text, at: position)
    }

    /// Inserts `text` at visible index `position` without building the
    /// operation (see `insertUnreported(_:at:)`). Opening a file inserts its
    /// text this way: the log takes `text`'s storage as it is (no copy when
    /// the log is empty), and `OpCodec.encode(_:entries:into:)` writes the
    /// record from the log. Precondition: `0 <= position <= count`.
    /// O(log s + text.count), O(log s + pages of the element table) into an empty log.
    public mutating func insertUnreported(_ text: ScalarArray, at position: Int) {
        guard !text.isEmpty else { return }
        _ = insertLocally(text, at: position)
    }

    /// A local insert of non-empty `text` at `position`: integrated, counted in
    /// the version and appended to the log. Returns the operation's fields.
    @inline(__always)
    private mutating func insertLocally<T: LogText>(_ text: T, at position: Int) -> (after: ElementID?, counter: UInt32, seq: UInt32) {
        precondition(position >= 0 && position <= count, "insert position \(position) outside 0...\(count)")
        let counter = lamport, seq = replicas[local].seqEnd
        let after: ElementID?
        let start: Cursor
        if let t = typing, t.stamp == mutationStamp, t.end == position {
            // Typing on: the last scalar of the span the previous local edit left
            // its place in (its own insert, or what a Backspace left) is the
            // reference, and nothing has changed since, so its place is known.
            let s = span(t.leaf, t.span)
            after = ElementID(counter: s.counter &+ s.length &- 1, replica: replicas[Int(s.replica)].id)
            if s.replica == UInt32(local), !s.deleted, s.counter &+ s.length == counter {
                // The new scalars continue that span: a local counter is above
                // every element's, so RGA's rule skips nothing after the
                // reference, and the span grows in place (what
                // `integrateInsert` would do, without its search).
                let n = UInt32(text.scalarCount)
                mutationStamp &+= 1
                spans[t.leaf &* RGA.leafCapacity &+ t.span].length &+= n
                addVisible(t.leaf, Int(n))
                recordElements(local, counter: counter, seq: seq, length: text.scalarCount, group: s.group)
                elementCount &+= Int(n)
                typing = TypingCache(end: position + text.scalarCount, leaf: t.leaf, span: t.span, stamp: mutationStamp)
                recordInsert(local, seq: seq, counter: counter, after: after, text: text)
                return (after, counter, seq)
            }
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
        let home = integrateInsert(local, counter: counter, seq: seq, length: text.scalarCount, from: start, wantPosition: false)
        typing = TypingCache(end: position + text.scalarCount, leaf: home.leaf, span: home.span, stamp: mutationStamp)
        recordInsert(local, seq: seq, counter: counter, after: after, text: text)
        return (after, counter, seq)
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
        guard length > 0 else { return nil }
        var runs: [DeletedRun] = []
        let (counter, seq) = deleteLocally(at: position, length: length, collect: true, runs: &runs)
        return Operation(replica: localReplica, seq: seq, counter: counter, body: .delete(runs))
    }

    /// The same edit as `delete(at:length:)`, without building the operation
    /// to send (the log holds it); see `insertUnreported(_:at:)`.
    /// Precondition: the range lies within `0 ..< count`. O(runs · log s).
    public mutating func deleteUnreported(at position: Int, length: Int) {
        guard length > 0 else { return }
        var none: [DeletedRun] = []
        _ = deleteLocally(at: position, length: length, collect: false, runs: &none)
    }

    /// A local delete of `length > 0` visible scalars at `position`: integrated,
    /// counted in the version and appended to the log; its runs are put in
    /// `out` when `collect`. Returns the operation's counter and seq.
    private mutating func deleteLocally(at position: Int, length: Int, collect: Bool, runs out: inout [DeletedRun]) -> (counter: UInt32, seq: UInt32) {
        precondition(position >= 0 && length >= 0 && position + length <= count,
                     "delete range \(position)..<\(position + length) outside 0..<\(count)")
        let counter = lamport, seq = replicas[local].seqEnd
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
            var run = DeletedRun(start: ElementID(counter: c, replica: replicas[r].id), length: UInt32(length))
            mutationStamp &+= 1
            markDeleted(r, counter: c, length: UInt32(length), leaf: leaf, span: k, offset: off)
            // When the span's head stayed where it was, the next Backspace or key
            // finds its place from there.
            if off > 0, k < leafLen[leaf], span(leaf, k).replica == s.replica, span(leaf, k).counter == s.counter,
               !span(leaf, k).deleted, Int(span(leaf, k).length) == off {
                typing = TypingCache(end: position, leaf: leaf, span: k, stamp: mutationStamp)
            } else {
                typing = nil
            }
            withUnsafePointer(to: &run) {
                recordDelete(local, seq: seq, counter: counter, length: UInt32(length), runs: UnsafeBufferPointer(start: $0, count: 1))
            }
            if collect { out.append(run) }
            return (counter, seq)
        }
        let runs = visibleRuns(at: position, length: length)
        var none: [TextEdit]? = nil
        for run in runs { integrateDelete(run, edits: &none) }
        runs.withUnsafeBufferPointer { recordDelete(local, seq: seq, counter: counter, length: UInt32(length), runs: $0) }
        if collect { out = runs }
        return (counter, seq)
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

    /// Records an integrated insert of replica slot `r`: counted in the version
    /// and appended to the log (and to `r`'s log indexes when it made an entry).
    /// Amortised O(text.count).
    @inline(__always)
    mutating func recordInsert<T: LogText>(_ r: Int, seq: UInt32, counter: UInt32, after: ElementID?, text: T) {
        advance(r, seq: seq, counter: counter, length: UInt32(text.scalarCount))
        if text.appendInsert(to: &log, replica: replicas[r].id, seq: seq, counter: counter, after: after) {
            replicas[r].logIndexes.append(UInt32(log.count - 1))
        }
    }

    /// Records an integrated delete of `length` units of replica slot `r` over
    /// `runs`, as `recordInsert` does an insert. Amortised O(runs.count).
    @inline(__always)
    mutating func recordDelete(_ r: Int, seq: UInt32, counter: UInt32, length: UInt32, runs: UnsafeBufferPointer<DeletedRun>) {
        advance(r, seq: seq, counter: counter, length: length)
        if log.appendDelete(replica: replicas[r].id, seq: seq, counter: counter, length: length, runs: runs) {
            replicas[r].logIndexes.append(UInt32(log.count - 1))
        }
    }

    /// Moves replica slot `r`'s version and counters, and the Lamport clock,
    /// past an operation (seq, counter) of `n` units. O(1).
    @inline(__always)
    mutating func advance(_ r: Int, seq: UInt32, counter: UInt32, length n: UInt32) {
        replicas[r].seqEnd = seq &+ n
        replicas[r].counterEnd = counter &+ n
        if lamport < counter &+ n { lamport = counter &+ n }
    }
}

/// Inserted text as the log takes it: an array of scalars (keys, received
/// operations) or a `ScalarArray` (a file's text), without converting one to
/// the other.
protocol LogText {
    var scalarCount: Int { get }
    /// `OperationLog.appendInsert` of this text; whether it made an entry.
    func appendInsert(to log: inout OperationLog, replica: ReplicaID, seq: UInt32, counter: UInt32, after: ElementID?) -> Bool
}

extension Array: LogText where Element == Unicode.Scalar {
    @inline(__always) var scalarCount: Int { count }
    @inline(__always)
    func appendInsert(to log: inout OperationLog, replica: ReplicaID, seq: UInt32, counter: UInt32, after: ElementID?) -> Bool {
        log.appendInsert(replica: replica, seq: seq, counter: counter, after: after, text: self)
    }
}

extension ScalarArray: LogText {
    var scalarCount: Int { count }
    func appendInsert(to log: inout OperationLog, replica: ReplicaID, seq: UInt32, counter: UInt32, after: ElementID?) -> Bool {
        log.appendInsert(replica: replica, seq: seq, counter: counter, after: after, text: self, indices)
    }
}

/// Scalars `range` of a `ScalarArray` (an insert of a decoded log), as the
/// log takes them: copied once, or shared when they are the whole array and
/// the log is empty.
struct LogTextSlice: LogText {
    var scalars: ScalarArray
    var range: Range<Int>
    var scalarCount: Int { range.count }
    func appendInsert(to log: inout OperationLog, replica: ReplicaID, seq: UInt32, counter: UInt32, after: ElementID?) -> Bool {
        log.appendInsert(replica: replica, seq: seq, counter: counter, after: after, text: scalars, range)
    }
}
