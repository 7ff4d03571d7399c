/// A run of deleted elements named by ID: `length` elements starting at
/// `start`, going up in counter (`backward == false`, the Delete key) or down
/// (`backward == true`, Backspace), all of `start.replica`.
public struct DeletedRun: Hashable, Sendable {
    public var start: ElementID
    public var length: UInt32
    public var backward: Bool

    public init(start: ElementID, length: UInt32, backward: Bool = false) {
        self.start = start
        self.length = length
        self.backward = backward
    }

    /// The ID of the `k`-th element of the run.
    @inlinable public func element(_ k: UInt32) -> ElementID {
        ElementID(counter: backward ? start.counter &- k : start.counter &+ k, replica: start.replica)
    }

    /// The lowest counter the run touches.
    @inlinable public var lowCounter: UInt32 { backward ? start.counter &- (length &- 1) : start.counter }
}

/// An operation: a run of `length` units made by one replica, where a unit is one
/// inserted scalar or one deleted element.
///
/// Unit `k` of an operation has seq `seq + k` (its replica's running count of
/// units) and counter `counter + k` (its Lamport timestamp; for an insert, the
/// counter of the element it creates). Inserted scalars form a chain: the first
/// goes after `after` (nil: the document start), each next one after the one
/// before it. Operations can be split anywhere and adjacent ones merged
/// (`slice`, `appending`) without changing what they do: the document depends
/// only on the set of units.
public struct Operation: Hashable, Sendable {
    public enum Body: Hashable, Sendable {
        case insert(after: ElementID?, text: [Unicode.Scalar])
        case delete([DeletedRun])
    }

    public var replica: ReplicaID
    public var seq: UInt32
    public var counter: UInt32
    /// What the operation does.
    public private(set) var body: Body
    /// Number of units: scalars inserted or elements deleted. O(1).
    public private(set) var length: Int

    public init(replica: ReplicaID, seq: UInt32, counter: UInt32, body: Body) {
        self.replica = replica
        self.seq = seq
        self.counter = counter
        self.body = body
        length = Operation.units(body)
    }

    static func units(_ body: Body) -> Int {
        switch body {
        case .insert(_, let text): return text.count
        case .delete(let runs): return runs.reduce(0) { $0 + Int($1.length) }
        }
    }

    /// Seq one past the last unit.
    public var seqEnd: UInt32 { seq &+ UInt32(length) }

    /// The ID of the first element an insert creates.
    public var firstID: ElementID { ElementID(counter: counter, replica: replica) }

    public var isInsert: Bool { if case .insert = body { return true } else { return false } }

    /// The units `from ..< to` (offsets within this operation) as an operation.
    /// Precondition: `0 <= from < to <= length`. O(length).
    public func slice(_ from: Int, _ to: Int) -> Operation {
        precondition(0 <= from && from < to && to <= length, "slice out of range")
        var out = self
        out.seq = seq &+ UInt32(from)
        out.counter = counter &+ UInt32(from)
        switch body {
        case .insert(let after, let text):
            let ref = from == 0 ? after : ElementID(counter: counter &+ UInt32(from - 1), replica: replica)
            out.body = .insert(after: ref, text: Array(text[from ..< to]))
            out.length = to - from
        case .delete(let runs):
            var kept: [DeletedRun] = []
            var base = 0
            for run in runs {
                let lo = max(from, base), hi = min(to, base + Int(run.length))
                if lo < hi {
                    kept.append(DeletedRun(start: run.element(UInt32(lo - base)), length: UInt32(hi - lo),
                                           backward: run.backward))
                }
                base += Int(run.length)
            }
            out.body = .delete(kept)
            out.length = to - from
        }
        return out
    }

    /// Whether `next` continues this operation: same replica, same kind, seq and
    /// counter contiguous, and (for an insert) chained onto this one's last scalar.
    public func canAppend(_ next: Operation) -> Bool {
        guard next.replica == replica, next.seq == seqEnd,
              next.counter == counter &+ UInt32(length) else { return false }
        if case .insert(let after, _) = next.body {
            guard isInsert else { return false }
            return after == ElementID(counter: counter &+ UInt32(length) &- 1, replica: replica)
        }
        return !isInsert
    }

    /// Appends `next`, which must satisfy `canAppend`. Amortised O(next.length):
    /// the payload is taken out of `body` first so it is extended in place.
    public mutating func append(_ next: Operation) {
        precondition(canAppend(next), "operations are not contiguous")
        switch next.body {
        case .insert(_, let more):
            guard case .insert(let after, var text) = body else { preconditionFailure("operations are not contiguous") }
            body = .delete([])
            text.append(contentsOf: more)
            body = .insert(after: after, text: text)
        case .delete(let more):
            guard case .delete(var runs) = body else { preconditionFailure("operations are not contiguous") }
            body = .delete([])
            for run in more { Operation.appendRun(run, to: &runs) }
            body = .delete(runs)
        }
        length += next.length
    }

    /// Appends a deleted run, joining it to the last one when they continue each other.
    static func appendRun(_ run: DeletedRun, to runs: inout [DeletedRun]) {
        if let last = runs.last, let joined = joined(last, run) {
            runs[runs.count - 1] = joined
        } else {
            runs.append(run)
        }
    }

    /// `last` and `run` as one run when `run` continues `last` (same replica, the
    /// next counters up or down; a one-element run goes either way), else nil. O(1).
    static func joined(_ last: DeletedRun, _ run: DeletedRun) -> DeletedRun? {
        guard last.start.replica == run.start.replica,
              let backward = joinedDirection(last.start.counter, last.length, last.backward,
                                             run.start.counter, run.length, run.backward) else { return nil }
        var out = last
        out.backward = backward
        out.length &+= run.length
        return out
    }

    /// Whether a run (counter, length, backward) of one replica continues the run
    /// `last…` of the same replica, and if so the direction of the two as one
    /// (true: going down). The rule of `joined`, on bare fields, for the log's
    /// stored runs too. O(1).
    @inline(__always)
    static func joinedDirection(_ lastCounter: UInt32, _ lastLength: UInt32, _ lastBackward: Bool,
                                _ counter: UInt32, _ length: UInt32, _ backward: Bool) -> Bool? {
        let joinsUp = (!lastBackward || lastLength == 1) && (!backward || length == 1) && counter == lastCounter &+ lastLength
        let joinsDown = (lastBackward || lastLength == 1) && (backward || length == 1) && counter == lastCounter &- lastLength
        guard joinsUp || joinsDown else { return nil }
        return joinsDown && !joinsUp
    }
}
