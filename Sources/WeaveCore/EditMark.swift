/// One edit as its author made it: a replica's units `start ..< start + count`
/// (one key, one paste, one restore, one imported transaction), made at `time`
/// (milliseconds since 1970 UTC; 0 when unknown, as in traces without times).
///
/// Marks are facts the author states about its own units, so they merge by
/// union and never conflict: the same units always carry the same mark. Peers
/// send them with the operations (docs/WIRE.md, "History"), so every replica
/// can show the author's edits, with their times, instead of the batches it
/// happened to receive.
public struct EditMark: Hashable, Sendable {
    public var replica: ReplicaID
    public var start: UInt32
    public var count: UInt32
    public var time: Int64

    public init(replica: ReplicaID, start: UInt32, count: UInt32, time: Int64) {
        self.replica = replica
        self.start = start
        self.count = count
        self.time = time
    }

    public var end: UInt32 { start &+ count }
}

/// Every known mark, per replica, sorted by `start`, never overlapping.
///
/// Laws: `insert` keeps each replica's marks sorted and disjoint (a mark that
/// overlaps one already held is dropped: the first statement about a unit
/// wins, and an honest author states it once); `mark(containing:)` finds the
/// mark covering a unit in O(log marks). Memory: 16 bytes per mark.
public struct MarkTable: Sendable, Equatable {
    private var byReplica: [ReplicaID: [Entry]] = [:]

    struct Entry: Equatable, Sendable {
        var start: UInt32
        var count: UInt32
        var time: Int64
    }

    public init() {}

    public init(_ marks: [EditMark]) {
        for m in marks { insert(m) }
    }

    public var isEmpty: Bool { byReplica.isEmpty }
    public var count: Int { byReplica.values.reduce(0) { $0 + $1.count } }

    /// Adds `m` unless it is empty or overlaps a mark already held. Amortized O(1)
    /// when marks arrive in order (the usual case), O(marks of the replica) otherwise.
    /// Returns whether it was added.
    @discardableResult
    public mutating func insert(_ m: EditMark) -> Bool {
        guard m.count > 0 else { return false }
        // In place (the dictionary's modify accessor): a copy per insert would make
        // loading a long history quadratic.
        return Self.insert(Entry(start: m.start, count: m.count, time: m.time), end: m.end, into: &byReplica[m.replica, default: []])
    }

    private static func insert(_ e: Entry, end: UInt32, into list: inout [Entry]) -> Bool {
        if let last = list.last {
            if last.start &+ last.count <= e.start { list.append(e); return true }
        } else {
            list.append(e)
            return true
        }
        let i = firstEnding(after: e.start, in: list)
        if i < list.count, list[i].start < end { return false }  // overlaps list[i]
        list.insert(e, at: i)
        return true
    }

    /// The mark covering unit `seq` of `replica`. O(log marks).
    public func mark(containing seq: UInt32, of replica: ReplicaID) -> EditMark? {
        guard let list = byReplica[replica] else { return nil }
        let i = Self.firstEnding(after: seq, in: list)
        guard i < list.count, list[i].start <= seq else { return nil }
        return EditMark(replica: replica, start: list[i].start, count: list[i].count, time: list[i].time)
    }

    /// The marks that cover any unit of `replica` in `from ..< to`, in order. O(log marks + result).
    public func marks(of replica: ReplicaID, from: UInt32, to: UInt32) -> [EditMark] {
        guard from < to, let list = byReplica[replica] else { return [] }
        var out: [EditMark] = []
        var i = Self.firstEnding(after: from, in: list)
        while i < list.count, list[i].start < to {
            out.append(EditMark(replica: replica, start: list[i].start, count: list[i].count, time: list[i].time))
            i += 1
        }
        return out
    }

    /// The marks covering the units of `ops`, each once, grouped by replica in
    /// first-appearance order. O(ops · log marks + result).
    public func marks(covering ops: [Operation]) -> [EditMark] {
        var out: [EditMark] = []
        var seen = Set<EditMark>()
        for op in ops where op.length > 0 {
            for m in marks(of: op.replica, from: op.seq, to: op.seqEnd) where seen.insert(m).inserted { out.append(m) }
        }
        return out
    }

    /// Every mark, replica by replica (ascending IDs), each in order.
    public var all: [EditMark] {
        byReplica.keys.sorted().flatMap { r in
            byReplica[r]!.map { EditMark(replica: r, start: $0.start, count: $0.count, time: $0.time) }
        }
    }

    /// The index of the first entry whose end is after `seq`.
    private static func firstEnding(after seq: UInt32, in list: [Entry]) -> Int {
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid].start &+ list[mid].count <= seq { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    // MARK: Splitting a batch into its authors' edits

    /// `ops` (a batch as received, in an order that applies) cut into the edits
    /// their authors made: consecutive units under one mark form one edit with
    /// the mark's time; units no mark covers stay together as one edit at
    /// `fallbackTime`, as a batch was recorded before marks existed. Operations
    /// that straddle a mark's boundary are sliced (`Operation.slice`). The
    /// concatenation of the pieces' operations is `ops`, unit for unit, in order.
    /// O(ops · log marks + units sliced).
    public func split(_ ops: [Operation], fallbackTime: Int64) -> [(time: Int64, ops: [Operation])] {
        var out: [(time: Int64, ops: [Operation])] = []
        var current: (replica: ReplicaID, index: Int)?  // the mark of the piece being built; index -1: unmarked
        var building = false
        // One dictionary lookup per change of replica, one binary search per
        // operation, then a walk along the marks it covers.
        var listReplica: ReplicaID?
        var list: [Entry] = []
        for op in ops {
            guard op.length > 0 else { continue }
            if listReplica != op.replica {
                listReplica = op.replica
                list = byReplica[op.replica] ?? []
            }
            var i = Self.firstEnding(after: op.seq, in: list)
            var offset = 0
            while offset < op.length {
                let seq = op.seq &+ UInt32(offset)
                let stop: Int, key: Int, time: Int64
                if i < list.count, list[i].start <= seq {
                    stop = min(op.length, offset + Int(list[i].start &+ list[i].count &- seq))
                    key = i
                    time = list[i].time
                    i += 1
                } else {
                    // Unmarked until the next mark (or the op's end).
                    stop = i < list.count ? min(op.length, offset + Int(list[i].start &- seq)) : op.length
                    key = -1
                    time = fallbackTime
                }
                let piece = offset == 0 && stop == op.length ? op : op.slice(offset, stop)
                if building, let c = current, key == c.index, key == -1 || c.replica == op.replica {
                    out[out.count - 1].ops.append(piece)
                } else {
                    out.append((time, [piece]))
                    current = (op.replica, key)
                    building = true
                }
                offset = stop
            }
        }
        return out
    }
}
