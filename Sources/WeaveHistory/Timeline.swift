import WeaveCore

/// The history of a document as a timeline that can be scrubbed: the text after
/// any number of edits, who wrote each character, and what changed between two
/// points.
///
/// Built once from a replica and its history: every element ever inserted, in
/// document order, with the edit that inserted it and the edit that first
/// deleted it. The text after `n` edits is then the elements with
/// `inserted < n <= deleted` — one pass over flat arrays, whatever the length of
/// the history, with no replay and no checkpoints. Memory: 16 bytes per element.
public struct Timeline: Sendable {
    /// The history it was built from.
    public let history: History
    /// Per element, in document order.
    public private(set) var scalars: [Unicode.Scalar] = []
    /// Index of the edit that inserted each element.
    public private(set) var insertedIn: [Int32] = []
    /// Index of the edit that first deleted each element (`Int32.max`: never).
    public private(set) var deletedIn: [Int32] = []
    /// Each element's author, as an index into `authors`.
    public private(set) var authorIndex: [UInt16] = []
    /// Replicas that inserted elements.
    public private(set) var authors: [ReplicaID] = []
    /// Per edit: whether it was made without knowing an edit applied before it
    /// (concurrent with it).
    public private(set) var concurrent: [Bool] = []

    public var editCount: Int { history.edits.count }

    /// Builds the timeline of `doc`, whose log the edits of `history` partition. O(n + units).
    public init(doc: RGA, history: History) {
        self.history = history
        // Unit → edit index, per replica (lists grown in place).
        var slotOf: [ReplicaID: Int] = [:]
        var lists: [[Int32]] = []
        for (i, e) in history.edits.enumerated() {
            for r in e.ranges {
                let slot: Int
                if let s = slotOf[r.replica] { slot = s } else {
                    slot = lists.count
                    slotOf[r.replica] = slot
                    lists.append([])
                }
                if lists[slot].count < Int(r.start) {
                    lists[slot].append(contentsOf: repeatElement(-1, count: Int(r.start) - lists[slot].count))
                }
                lists[slot].append(contentsOf: repeatElement(Int32(i), count: Int(r.count)))
            }
        }
        var authorSlot: [ReplicaID: UInt16] = [:]
        let total = doc.elementCount
        scalars.reserveCapacity(total)
        insertedIn.reserveCapacity(total)
        deletedIn.reserveCapacity(total)
        authorIndex.reserveCapacity(total)
        var unknown: Int32 = Int32(history.edits.count)  // units outside the history count as after it
        // Elements come in runs of one replica: the last replica's slots are
        // remembered, so most elements cost no dictionary look-up (hashing a
        // ReplicaID per element was a third of `weave show` on a 50 MB file).
        var lastInserter: ReplicaID?, lastInserterSlot: Int?
        var lastDeleter: ReplicaID?, lastDeleterSlot: Int?
        var lastAuthor: ReplicaID?, lastAuthorIndex: UInt16 = 0
        func edit(_ r: ReplicaID, _ seq: UInt32, _ last: inout ReplicaID?, _ lastSlot: inout Int?) -> Int32 {
            if last != r { last = r; lastSlot = slotOf[r] }
            guard let slot = lastSlot, Int(seq) < lists[slot].count, lists[slot][Int(seq)] >= 0 else { return unknown }
            return lists[slot][Int(seq)]
        }
        var authorsList: [ReplicaID] = []
        doc.forEachElement { e in
            scalars.append(e.scalar)
            insertedIn.append(edit(e.id.replica, e.seq, &lastInserter, &lastInserterSlot))
            deletedIn.append(e.deletedBy.map { edit($0.replica, $0.seq, &lastDeleter, &lastDeleterSlot) } ?? Int32.max)
            if lastAuthor != e.id.replica {
                lastAuthor = e.id.replica
                if let s = authorSlot[e.id.replica] { lastAuthorIndex = s } else {
                    lastAuthorIndex = UInt16(truncatingIfNeeded: authorsList.count)
                    authorSlot[e.id.replica] = lastAuthorIndex
                    authorsList.append(e.id.replica)
                }
            }
            authorIndex.append(lastAuthorIndex)
        }
        unknown = 0
        authors = authorsList
        // Concurrency: an edit whose first counter is not above every counter
        // applied before it from other replicas was made without seeing them.
        // Track the highest counter applied and the highest of any other replica.
        var highest: [ReplicaID: UInt32] = [:]
        var top: (value: UInt32, replica: ReplicaID?) = (0, nil)
        var second: UInt32 = 0
        concurrent.reserveCapacity(history.edits.count)
        for e in history.edits {
            var isConcurrent = false
            for r in e.ranges {
                guard let c = doc.counter(ofUnit: r.start, of: r.replica) else { continue }
                if let t = top.replica, c <= (t == r.replica ? second : top.value), t != r.replica || second > 0 {
                    isConcurrent = true
                }
            }
            for r in e.ranges {
                guard let c0 = doc.counter(ofUnit: r.start, of: r.replica) else { continue }
                let c = c0 &+ r.count &- 1
                if c <= highest[r.replica] ?? 0, highest[r.replica] != nil { continue }
                highest[r.replica] = c
                if top.replica == r.replica {
                    top.value = max(top.value, c)
                } else if top.replica == nil || c > top.value {
                    second = top.value
                    top = (c, r.replica)
                } else if c > second {
                    second = c
                }
            }
            concurrent.append(isConcurrent)
        }
    }

    /// Whether element `i` is visible after the first `n` edits.
    @inline(__always)
    public func isVisible(_ i: Int, after n: Int) -> Bool {
        Int(insertedIn[i]) < n && n <= Int(deletedIn[i])
    }

    /// The text after the first `n` edits (0 ... editCount). O(elements).
    public func scalars(after n: Int) -> [Unicode.Scalar] {
        let n32 = Int32(clamping: n)
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        insertedIn.withUnsafeBufferPointer { ins in
            deletedIn.withUnsafeBufferPointer { del in
                scalars.withUnsafeBufferPointer { sc in
                    for i in 0 ..< sc.count where ins[i] < n32 && n32 <= del[i] { out.append(sc[i]) }
                }
            }
        }
        return out
    }

    public func text(after n: Int) -> String {
        String(String.UnicodeScalarView(scalars(after: n)))
    }

    /// What edit `k` did: the text it inserted and the text it deleted, each in
    /// document order. O(elements): for many edits build a `ChangeIndex` once and
    /// use `change(of:index:)` (Timeline+Changes.swift).
    public func change(of k: Int) -> (inserted: String, deleted: String) {
        var ins = String.UnicodeScalarView(), del = String.UnicodeScalarView()
        let k32 = Int32(k)
        for i in 0 ..< scalars.count {
            if insertedIn[i] == k32 { ins.append(scalars[i]) }
            if deletedIn[i] == k32 { del.append(scalars[i]) }
        }
        return (String(ins), String(del))
    }

    /// A piece of a comparison between two points of the timeline.
    public enum Piece: Equatable, Sendable {
        case same(String)
        case inserted(String)
        case deleted(String)
    }

    /// What changed between the text after `a` edits and the text after `b`
    /// edits: a minimal line-then-character comparison of the two texts
    /// (`TextDiff`), so text that is the same in both is never shown as
    /// changed, whatever edits came between. O(elements) plus the comparison.
    public func diff(from a: Int, to b: Int) -> [Piece] {
        TextDiff.pieces(from: text(after: a), to: text(after: b))
    }

    /// Lines of the text after `n` edits, each with the authors of its
    /// characters (most characters first). O(elements).
    public func blame(after n: Int) -> [(line: String, authors: [ReplicaID])] {
        var out: [(String, [ReplicaID])] = []
        var line = String.UnicodeScalarView()
        var counts: [UInt16: Int] = [:]
        func finish() {
            let names = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { authors[Int($0.key)] }
            out.append((String(line), names))
            line = String.UnicodeScalarView()
            counts = [:]
        }
        for i in 0 ..< scalars.count where isVisible(i, after: n) {
            if scalars[i] == "\n" { finish(); continue }
            line.append(scalars[i])
            counts[authorIndex[i], default: 0] += 1
        }
        if !line.isEmpty || out.isEmpty { finish() }
        return out
    }

}
