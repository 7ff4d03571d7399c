/// Receiving operations from elsewhere: causal readiness, duplicates, and the
/// buffer of operations waiting for their predecessors.
///
/// An operation is *ready* when this replica has every earlier unit of its
/// author (by seq) and every element it names. Units already applied are
/// dropped (duplicates, overlaps); an operation that can never become ready is
/// refused with an `OperationError`.
extension RGA {
    enum Readiness {
        /// Ready: the operation as given (nil), or its part not yet applied.
        case ready(Operation?)
        case duplicate
        case waiting(CausalBuffer.Blocker)
        case invalid(OperationError)
    }

    /// Whether `op` can apply now, is already here, waits, or never can. O(log
    /// runs in a page) per element it names.
    ///
    /// `mutating` though it changes nothing, as are `dependencies` and
    /// `knows`: a non-mutating call from `receive` first copied the whole
    /// RGA value (400 bytes) to pass it borrowed, a memcpy per operation.
    mutating func readiness(_ op: Operation) -> Readiness {
        let n = op.length
        if n == 0 { return .invalid(.empty(op.replica)) }
        let r = slot(of: op.replica)
        let seqEnd = r.map { replicas[$0].seqEnd } ?? 0
        if UInt64(op.seq) + UInt64(n) <= UInt64(seqEnd) { return .duplicate }
        if op.seq > seqEnd { return .waiting(.seq(op.replica, op.seq)) }
        if UInt64(op.counter) + UInt64(n) > UInt64(UInt32.max) {
            return .invalid(.counterWentBackwards(op.replica, counter: op.counter, expectedAtLeast: 0))
        }
        let counterEnd = r.map { replicas[$0].counterEnd } ?? 0
        if op.seq < seqEnd {
            // Rare (an overlap): check and apply only the units not yet here.
            let trimmed = op.slice(Int(seqEnd - op.seq), n)
            return dependencies(of: trimmed, counterEnd: counterEnd) ?? .ready(trimmed)
        }
        // Common: the operation as given, checked without copying it.
        return dependencies(of: op, counterEnd: counterEnd) ?? .ready(nil)
    }

    /// Why `op` (none of whose units is here yet) cannot apply now, or nil
    /// when it can.
    private mutating func dependencies(of op: Operation, counterEnd: UInt32) -> Readiness? {
        if op.counter < counterEnd {
            return .invalid(.counterWentBackwards(op.replica, counter: op.counter, expectedAtLeast: counterEnd))
        }
        switch op.body {
        case .insert(let after, _):
            if let after {
                if after.counter >= op.counter {
                    return .invalid(.counterNotAfterReference(op.firstID, reference: after))
                }
                switch knows(after, author: op.replica) {
                case .yes: break
                case .notYet: return .waiting(.element(after))
                case .never: return .invalid(.unknownElement(after, in: op.replica))
                }
            }
        case .delete(let runs):
            for run in runs {
                if run.length == 0 || (run.backward && run.start.counter < run.length - 1)
                    || (!run.backward && UInt64(run.start.counter) + UInt64(run.length) > UInt64(UInt32.max)) {
                    return .invalid(.unknownElement(run.start, in: op.replica))
                }
                // The run's counters, a table run at a time; only a missing one is looked at closely.
                let low = run.lowCounter
                let missing = slot(of: run.start.replica).map { replicas[$0].elements.firstMissing(low, low &+ run.length) } ?? low
                if let missing {
                    let id = ElementID(counter: missing, replica: run.start.replica)
                    switch knows(id, author: op.replica) {
                    case .yes: break
                    case .notYet: return .waiting(.element(id))
                    case .never: return .invalid(.unknownElement(id, in: op.replica))
                    }
                }
            }
        }
        return nil
    }

    enum Knowledge { case yes, notYet, never }

    /// Whether element `id`, named by an operation of `author` whose earlier
    /// units are all here, is here; if not, whether it still may arrive. An
    /// element's creator's counters only grow, so once they passed it, it never
    /// will; and an author's own elements are all here already.
    mutating func knows(_ id: ElementID, author: ReplicaID) -> Knowledge {
        let r = slot(of: id.replica)
        if let r, contains(r, id.counter) { return .yes }
        if id.replica == author { return .never }
        guard let r else { return .notYet }
        return id.counter < replicas[r].counterEnd ? .never : .notYet
    }

    /// Receives an operation from elsewhere: applies it if ready (then any waiting
    /// ones it unblocks), ignores what was already applied, or keeps it until its
    /// predecessors arrive. Returns the text edits caused, in order.
    ///
    /// Throws `OperationError` for an operation that can never apply, or when the
    /// waiting buffer is full; the document is then unchanged by it.
    @discardableResult
    public mutating func receive(_ op: Operation) throws -> [TextEdit] {
        var edits: [TextEdit]? = []
        try receive(op, into: &edits)
        return edits!
    }

    /// Receives several operations; see `receive(_:)`. Stops at the first
    /// error. Computes no text edits (a bulk merge: loading, catching up), so
    /// it skips the visible positions a view would need.
    public mutating func receive<S: Sequence>(contentsOf ops: S) throws where S.Element == Operation {
        var none: [TextEdit]? = nil
        try deferringCounts { doc in
            for op in ops { try doc.receive(op, into: &none) }
        }
    }

    /// `receive(contentsOf:)` for an array, the common case: not generic, so
    /// the loop is compiled for `Operation` here rather than run through the
    /// generic iterator and value witnesses from the caller's module.
    public mutating func receive(contentsOf ops: [Operation]) throws {
        // Room in the log for all of it at once, instead of growing (and
        // copying) its arrays step by step.
        var scalars = 0
        for i in ops.indices { if case .insert(_, let text) = ops[i].body { scalars += text.count } }
        log.reserve(entries: ops.count, scalars: scalars)
        var none: [TextEdit]? = nil
        try deferringCounts { doc in
            try ops.withUnsafeBufferPointer { ops in
                for i in ops.indices { try doc.receive(ops[i], into: &none) }
            }
        }
    }

    /// Receives every operation of `other` (a log decoded from a history,
    /// `OpCodec.decodeLog`, or another replica's), in order: what
    /// `receive(contentsOf: Array(other))` does, without building an
    /// `Operation` for an insert that can apply at once. Its scalars go from
    /// `other`'s storage into this log (shared, not copied, when this log is
    /// empty and `other` holds one insert: a file's text). Inserts that must
    /// wait, overlap what is here or are invalid, and all deletes, go through
    /// `receive(_:)` as built operations. Computes no text edits. Stops at
    /// the first error, as `receive(contentsOf:)` does. O(other's size + the
    /// integration of its operations).
    public mutating func receive(contentsOf other: OperationLog) throws {
        // All of `other`'s scalars at once, unless they may be shared whole
        // (an empty log taking a single insert).
        log.reserve(entries: other.count, scalars: log.isEmpty && other.count <= 1 ? 0 : other.scalars.count)
        // And its deletes' runs (they are copied, joined where they meet).
        if log.runs.capacity < log.runs.count + other.runs.count {
            log.runs.reserveCapacity(Swift.max(log.runs.count + other.runs.count, 2 * log.runs.capacity))
        }
        var none: [TextEdit]? = nil
        // A ready delete's runs, reused from one delete to the next.
        var scratch: [DeletedRun] = [], leaves: [Int] = []
        try deferringCounts { doc in
            for i in other.indices {
                let e = other.entries[i]
                if e.isDelete {
                    if doc.pending.count == 0, doc.receiveReadyDelete(e, of: other, runs: &scratch, leaves: &leaves) { continue }
                } else if doc.pending.count == 0 {
                    let replica = other.ids[Int(e.replica)]
                    let after = e.refReplica == OperationLog.documentStart ? nil
                        : ElementID(counter: e.refCounter, replica: other.ids[Int(e.refReplica)])
                    if let start = doc.readyInsertCursor(replica, seq: e.seq, counter: e.counter, length: e.length, after: after) {
                        let r = doc.replicaSlot(replica)
                        let range = e.payload ..< e.payload + Int(e.length)
                        _ = doc.integrateInsert(r, counter: e.counter, seq: e.seq, length: range.count,
                                                from: start, wantPosition: false)
                        doc.recordInsert(r, seq: e.seq, counter: e.counter, after: after,
                                         text: LogTextSlice(scalars: other.scalars, range: range))
                        continue
                    }
                }
                try doc.receive(other[i], into: &none)
            }
        }
    }

    /// Applies and records the delete `e` of `other` when it is ready as
    /// given (what `readiness` answers `.ready(nil)` for, checked on the
    /// stored fields and runs), without building an `Operation` for it: its
    /// runs go through `runs`, and the leaf each one's first element was in
    /// through `leaves` (scratch arrays). Returns false, having changed
    /// nothing, for any other answer (waiting, duplicate, overlapping,
    /// invalid), which is then `receive(_:)`'s to give. O(its runs · log).
    mutating func receiveReadyDelete(_ e: OperationLog.Entry, of other: OperationLog, runs: inout [DeletedRun],
                                     leaves: inout [Int]) -> Bool {
        let n = e.length
        guard n > 0, UInt64(e.counter) + UInt64(n) <= UInt64(UInt32.max) else { return false }
        let replica = other.ids[Int(e.replica)]
        let r = slot(of: replica)
        let seqEnd = r.map { replicas[$0].seqEnd } ?? 0
        let counterEnd = r.map { replicas[$0].counterEnd } ?? 0
        guard e.seq == seqEnd, e.counter >= counterEnd else { return false }
        runs.removeAll(keepingCapacity: true)
        leaves.removeAll(keepingCapacity: true)
        for k in e.payload ..< e.payload + Int(e.refCounter) {
            let run = other.deletedRun(other.runs[k])
            if run.length == 0 || (run.backward && run.start.counter < run.length - 1)
                || (!run.backward && UInt64(run.start.counter) + UInt64(run.length) > UInt64(UInt32.max)) {
                return false
            }
            // Every element it names must be here (a missing one: waiting or
            // invalid). The table run holding its first also says in which
            // leaf it was: a hint for integrateDelete, which then need not
            // search the table again.
            let low = run.lowCounter, high = low &+ run.length
            guard let t = slot(of: run.start.replica),
                  let first = replicas[t].elements.run(holding: low) else { return false }
            if first.end < high, replicas[t].elements.firstMissing(first.end, high) != nil { return false }
            runs.append(run)
            leaves.append(leaf(ofGroup: first.group))
        }
        let author = replicaSlot(replica)
        var none: [TextEdit]? = nil
        for k in runs.indices { integrateDelete(runs[k], edits: &none, leafHint: leaves[k]) }
        runs.withUnsafeBufferPointer { recordDelete(author, seq: e.seq, counter: e.counter, length: n, runs: $0) }
        return true
    }

    /// Where an insert of `length` scalars (replica, seq, counter, after)
    /// starts (`cursor(after: after)`) when it is ready as given: what
    /// `readiness` answers `.ready(nil)` for, checked on the fields; nil for
    /// any other answer (left to `readiness`).
    ///
    /// `after` is looked for first in the spans around `lastPlace`, as
    /// `locate` does: a span there holding it shows it is here (tombstones
    /// keep their spans) and gives the cursor, without the element table's
    /// binary search for `knows` and then `locate`'s own; a miss makes one
    /// search for both. O(1) on a hit, else
    /// O(log runs in a page + leaf size).
    mutating func readyInsertCursor(_ replica: ReplicaID, seq: UInt32, counter: UInt32, length n: UInt32,
                                    after: ElementID?) -> Cursor? {
        guard n > 0, UInt64(counter) + UInt64(n) <= UInt64(UInt32.max) else { return nil }
        let r = slot(of: replica)
        let seqEnd = r.map { replicas[$0].seqEnd } ?? 0
        let counterEnd = r.map { replicas[$0].counterEnd } ?? 0
        guard seq == seqEnd, counter >= counterEnd else { return nil }
        guard let after else { return Cursor(leaf: firstLeaf, span: 0, offset: 0) }
        guard after.counter < counter, let t = slot(of: after.replica) else { return nil }
        let (hl, hk) = lastPlace
        if hl < leafLen.count,
           let (k, off) = findSpan(in: hl, from: max(hk &- 2, 0), to: hk &+ 2, replica: t, counter: after.counter) {
            return cursor(after: hl, span: k, offset: off)
        }
        // Else one binary search both shows it is here and gives its leaf.
        guard let run = replicas[t].elements.run(holding: after.counter) else { return nil }
        let leaf = leaf(ofGroup: run.group)
        let (k, off) = findSpan(in: leaf, replica: t, counter: after.counter)
        return cursor(after: leaf, span: k, offset: off)
    }

    /// Receives `op`, appending its text edits to `edits` unless nil.
    mutating func receive(_ op: Operation, into edits: inout [TextEdit]?) throws {
        switch readiness(op) {
        case .duplicate:
            return
        case .invalid(let e):
            throw e
        case .waiting(let blocker):
            guard pending.count < pendingLimit else { throw OperationError.causalBufferFull(limit: pendingLimit) }
            pending.add(op, waitingFor: blocker)
        case .ready(let trimmed):
            if let trimmed { integrate(trimmed, into: &edits) } else { integrate(op, into: &edits) }
            if pending.count > 0 { drainPending(after: op.replica, into: &edits) }
        }
    }

    /// Number of operations waiting for predecessors.
    public var pendingCount: Int { pending.count }

    /// Applies the waiting operations that applying an operation of `replica`
    /// made ready, and those that they made ready in turn. Ones that turned
    /// invalid are dropped (they could only be refused); ones still waiting are
    /// filed under what they wait for now. O(k log w) for k operations woken.
    private mutating func drainPending(after replica: ReplicaID, into edits: inout [TextEdit]?) {
        var advanced = [replica]
        while let id = advanced.popLast(), pending.count > 0 {
            guard let r = slot(of: id) else { continue }
            for op in pending.takeUnblocked(id, seqEnd: replicas[r].seqEnd, counterEnd: replicas[r].counterEnd) {
                causalChecks &+= 1
                switch readiness(op) {
                case .waiting(let blocker):
                    pending.add(op, waitingFor: blocker)
                case .duplicate, .invalid:
                    break
                case .ready(let trimmed):
                    integrate(trimmed ?? op, into: &edits)
                    advanced.append(op.replica)
                }
            }
        }
    }

    /// Applies a ready operation and records it. Returns its text edits.
    mutating func integrate(_ op: Operation) -> [TextEdit] {
        var edits: [TextEdit]? = []
        integrate(op, into: &edits)
        return edits!
    }

    /// Applies a ready operation and records it, appending its text edits to
    /// `edits` unless nil (then no visible position is computed).
    ///
    /// The operation's fields are read once and passed on, never the operation
    /// itself: each pass of a whole `Operation` made an outlined copy of it
    /// (five per operation, a tenth of a merge).
    mutating func integrate(_ op: Operation, into edits: inout [TextEdit]?) {
        let seq = op.seq, counter = op.counter
        let r = replicaSlot(op.replica)
        switch op.body {
        case .insert(let after, let text):
            let position = integrateInsert(r, counter: counter, seq: seq, length: text.count,
                                           from: cursor(after: after), wantPosition: edits != nil).position
            if edits != nil { edits!.append(TextEdit(position: position, removed: 0, inserted: text)) }
            recordInsert(r, seq: seq, counter: counter, after: after, text: text)
        case .delete(let runs):
            for run in runs { integrateDelete(run, edits: &edits) }
            runs.withUnsafeBufferPointer { recordDelete(r, seq: seq, counter: counter, length: UInt32(op.length), runs: $0) }
        }
    }
}
