/// Every operation a replica has applied, in the order it applied them, with
/// adjacent ones joined where `Operation.canAppend` allows: a collection of
/// `Operation`s stored compactly.
///
/// An `Operation` owns its payload array, one heap allocation each, which for a
/// single typed or deleted character costs more than the unit itself. The log
/// instead keeps one fixed-size entry per operation (28 bytes) and puts every
/// inserted scalar in one shared array and every deleted run in another, naming
/// replicas by a small slot. Reading an element builds the `Operation` (O(its
/// length)); appending one is amortised O(its length).
///
/// Laws: `Array(log)` is exactly the list the previous representation held:
/// appending `b` after `a` gives one element `a.appending(b)` when
/// `a.canAppend(b)`, else two.
public struct OperationLog: RandomAccessCollection, Sendable {
    /// One operation as stored.
    struct Entry: Sendable {
        /// Slot in `ids` of the operation's replica.
        var replica: UInt32
        var seq: UInt32
        var counter: UInt32
        /// Units.
        var length: UInt32
        /// An insert's reference: its replica slot, or `documentStart`; a delete: `deleteMark`.
        var refReplica: UInt32
        /// An insert's reference counter; a delete's number of runs.
        var refCounter: UInt32
        /// Index in `scalars` of an insert's first scalar, or in `runs` of a delete's first run.
        var payloadIndex: UInt32
        @inline(__always) var payload: Int { Int(payloadIndex) }

        var isDelete: Bool { refReplica == OperationLog.deleteMark }
        var seqEnd: UInt32 { seq &+ length }
    }

    /// A deleted run with its replica as a slot in `ids` (12 bytes: the
    /// direction is the slot's top bit).
    struct StoredRun: Sendable {
        private var replicaAndDirection: UInt32
        var counter: UInt32
        var length: UInt32

        init(replica: UInt32, counter: UInt32, length: UInt32, backward: Bool) {
            replicaAndDirection = replica | (backward ? StoredRun.backwardBit : 0)
            self.counter = counter
            self.length = length
        }

        static let backwardBit: UInt32 = 1 << 31
        var replica: UInt32 { replicaAndDirection & ~StoredRun.backwardBit }
        var backward: Bool { replicaAndDirection & StoredRun.backwardBit != 0 }
    }

    static let documentStart = UInt32.max
    static let deleteMark = UInt32.max - 1

    var entries: [Entry] = []
    /// Every inserted scalar, operation after operation, at 1, 2 or 4 bytes
    /// each (`ScalarArray`: one byte per scalar while all are below U+0100).
    var scalars = ScalarArray()
    /// Every deleted run, operation after operation.
    var runs: [StoredRun] = []
    /// Replica IDs by slot, in order of first appearance.
    var ids: [ReplicaID] = []
    var slotIndex = ReplicaSlots()

    /// An empty log.
    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { entries.count }

    /// The operation at `i`, built from its entry. O(its length).
    public subscript(i: Int) -> Operation {
        let e = entries[i]
        let body: Operation.Body
        if e.isDelete {
            var out: [DeletedRun] = []
            out.reserveCapacity(Int(e.refCounter))
            for k in e.payload ..< e.payload + Int(e.refCounter) { out.append(deletedRun(runs[k])) }
            body = .delete(out)
        } else {
            let after = e.refReplica == OperationLog.documentStart ? nil
                : ElementID(counter: e.refCounter, replica: ids[Int(e.refReplica)])
            body = .insert(after: after, text: scalars.array(e.payload ..< e.payload + Int(e.length)))
        }
        return Operation(replica: ids[Int(e.replica)], seq: e.seq, counter: e.counter, body: body)
    }

    // MARK: Fields without building the operation (O(1))

    func replica(at i: Int) -> ReplicaID { ids[Int(entries[i].replica)] }
    func seq(at i: Int) -> UInt32 { entries[i].seq }
    func seqEnd(at i: Int) -> UInt32 { entries[i].seqEnd }
    func counter(at i: Int) -> UInt32 { entries[i].counter }

    // MARK: Appending

    /// Makes room for `entries` more entries and `scalars` more scalars, at
    /// least doubling an array that must grow (so small batches, one frame
    /// at a time, keep amortised growth). O(size) when it grows.
    mutating func reserve(entries more: Int, scalars moreScalars: Int) {
        if entries.capacity < entries.count + more {
            entries.reserveCapacity(Swift.max(entries.count + more, 2 * entries.capacity))
        }
        scalars.reserveAmortised(scalars.count + moreScalars)
    }

    /// Appends `op`, joining it to the last entry when that entry `canAppend` it.
    /// Returns whether a new entry was made. Amortised O(op.length).
    @discardableResult
    mutating func append(_ op: Operation) -> Bool {
        switch op.body {
        case .insert(let after, let text):
            return appendInsert(replica: op.replica, seq: op.seq, counter: op.counter, after: after, text: text)
        case .delete(let runs):
            return runs.withUnsafeBufferPointer {
                appendDelete(replica: op.replica, seq: op.seq, counter: op.counter, length: UInt32(op.length), runs: $0)
            }
        }
    }

    /// Appends the insert (replica, seq, counter, after, text) without an
    /// `Operation` built for it: `append` of that operation. Amortised O(text.count).
    @discardableResult
    mutating func appendInsert(replica: ReplicaID, seq: UInt32, counter: UInt32, after: ElementID?,
                               text: [Unicode.Scalar]) -> Bool {
        let made = appendInsertEntry(replica: replica, seq: seq, counter: counter, after: after, length: UInt32(text.count),
                                     payload: UInt32(scalars.count))
        if text.count == 1 { scalars.append(text[0]) } else { scalars.append(contentsOf: text) }
        return made
    }

    /// `appendInsert` of the scalars `range` of `text`. Amortised O(range.count):
    /// the log's first insert takes `text` whole, sharing its storage.
    @discardableResult
    mutating func appendInsert(replica: ReplicaID, seq: UInt32, counter: UInt32, after: ElementID?,
                               text: ScalarArray, _ range: Range<Int>) -> Bool {
        let made = appendInsertEntry(replica: replica, seq: seq, counter: counter, after: after, length: UInt32(range.count),
                                     payload: UInt32(scalars.count))
        scalars.append(contentsOf: text, range)
        return made
    }

    /// The entry half of `appendInsert`: joins the last entry or makes one
    /// whose scalars start at `payload` in `scalars` (where they go next, or
    /// already are: `OpCodec.decodeLog` puts the whole text in first).
    /// Returns whether it made one. O(1).
    @inline(__always)
    mutating func appendInsertEntry(replica: ReplicaID, seq: UInt32, counter: UInt32, after: ElementID?,
                                    length n: UInt32, payload: UInt32) -> Bool {
        let r = slot(replica)
        if let last = entries.last, last.replica == r, seq == last.seqEnd, counter == last.counter &+ last.length,
           !last.isDelete, let after, after.replica == replica, after.counter == counter &- 1 {
            // Typing on: the insert continues the last one's chain.
            entries[entries.count - 1].length &+= n
            return false
        }
        entries.append(Entry(replica: r, seq: seq, counter: counter, length: n,
                             refReplica: after.map { slot($0.replica) } ?? OperationLog.documentStart,
                             refCounter: after?.counter ?? 0, payloadIndex: payload))
        return true
    }

    /// Appends the delete (replica, seq, counter) of `length` units over `runs`
    /// without an `Operation` built for it: `append` of that operation.
    /// Amortised O(runs.count).
    @discardableResult
    mutating func appendDelete(replica: ReplicaID, seq: UInt32, counter: UInt32, length n: UInt32,
                               runs more: UnsafeBufferPointer<DeletedRun>) -> Bool {
        let r = slot(replica)
        if let last = entries.last, last.isDelete, last.replica == r, seq == last.seqEnd, counter == last.counter &+ last.length {
            var added: UInt32 = 0
            for run in more {
                let stored = storedRun(run)
                if let joined = OperationLog.join(runs[runs.count - 1], stored) {
                    runs[runs.count - 1] = joined
                } else {
                    runs.append(stored)
                    added += 1
                }
            }
            entries[entries.count - 1].length &+= n
            entries[entries.count - 1].refCounter &+= added
            return false
        }
        let first = runs.count
        for run in more {
            let stored = storedRun(run)
            if runs.count > first, let joined = OperationLog.join(runs[runs.count - 1], stored) {
                runs[runs.count - 1] = joined
            } else {
                runs.append(stored)
            }
        }
        entries.append(Entry(replica: r, seq: seq, counter: counter, length: n,
                             refReplica: OperationLog.deleteMark, refCounter: UInt32(runs.count - first),
                             payloadIndex: UInt32(first)))
        return true
    }

    /// Appends every operation of `other`, in order, as `append` of each
    /// would (joining where `canAppend` allows), without building them: the
    /// scalars are copied once, or taken whole, shared, into an empty log.
    /// O(other's size).
    public mutating func append(contentsOf other: OperationLog) {
        if isEmpty {
            // Same entries and payloads: the storage is shared, not copied.
            self = other
            return
        }
        reserve(entries: other.count, scalars: other.scalars.count)
        var scratch: [DeletedRun] = []
        for e in other.entries {
            let replica = other.ids[Int(e.replica)]
            if e.isDelete {
                scratch.removeAll(keepingCapacity: true)
                for k in e.payload ..< e.payload + Int(e.refCounter) { scratch.append(other.deletedRun(other.runs[k])) }
                scratch.withUnsafeBufferPointer {
                    _ = appendDelete(replica: replica, seq: e.seq, counter: e.counter, length: e.length, runs: $0)
                }
            } else {
                let after = e.refReplica == OperationLog.documentStart ? nil
                    : ElementID(counter: e.refCounter, replica: other.ids[Int(e.refReplica)])
                appendInsert(replica: replica, seq: e.seq, counter: e.counter, after: after,
                             text: other.scalars, e.payload ..< e.payload + Int(e.length))
            }
        }
    }

    /// Units in the log (scalars inserted and elements deleted). O(entries).
    public var unitCount: Int { entries.reduce(0) { $0 + Int($1.length) } }

    /// The slot of `id`, registering it when new. O(1); a linear scan while there are few.
    @inline(__always)
    private mutating func slot(_ id: ReplicaID) -> UInt32 {
        // Most often the author of the last entry (typing, a merge of one author's run).
        if let last = entries.last, ids[Int(last.replica)] == id { return last.replica }
        return registeredSlot(id)
    }

    private mutating func registeredSlot(_ id: ReplicaID) -> UInt32 {
        if ids.count <= 8 {
            for i in ids.indices where ids[i] == id { return UInt32(i) }
        } else if let s = slotIndex[id] {
            return UInt32(s)
        }
        ids.append(id)
        slotIndex.insert(id, slot: ids.count - 1)
        return UInt32(ids.count - 1)
    }

    private mutating func storedRun(_ run: DeletedRun) -> StoredRun {
        StoredRun(replica: slot(run.start.replica), counter: run.start.counter, length: run.length, backward: run.backward)
    }

    func deletedRun(_ s: StoredRun) -> DeletedRun {
        DeletedRun(start: ElementID(counter: s.counter, replica: ids[Int(s.replica)]), length: s.length, backward: s.backward)
    }

    /// `Operation.joined` on stored runs (the same replica slot means the same replica). O(1).
    @inline(__always)
    private static func join(_ last: StoredRun, _ run: StoredRun) -> StoredRun? {
        guard last.replica == run.replica,
              let backward = Operation.joinedDirection(last.counter, last.length, last.backward,
                                                       run.counter, run.length, run.backward) else { return nil }
        return StoredRun(replica: last.replica, counter: last.counter, length: last.length &+ run.length, backward: backward)
    }

    /// Adds the log's heap storage to `usage.history` (see `MemoryUsage`). O(1).
    func addHeap(to usage: inout MemoryUsage) {
        usage.add(entries, to: \.history)
        usage.addBytes(used: scalars.usedBytes, capacity: scalars.capacityBytes, to: \.history)
        usage.add(runs, to: \.history)
        usage.add(ids, to: \.history)
        usage.history += slotIndex.heapBytes
    }
}
