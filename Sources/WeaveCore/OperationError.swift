/// Why an operation from elsewhere was refused. Each case names the culprit so a
/// user (or a log) can tell what was wrong.
public enum OperationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The operation has no units.
    case empty(ReplicaID)
    /// An insert or delete names an element its author could not have seen: that
    /// author's later elements are here but this one is not.
    case unknownElement(ElementID, in: ReplicaID)
    /// An insert's first counter is not above the element it follows (Lamport's rule).
    case counterNotAfterReference(ElementID, reference: ElementID)
    /// A replica's counters went backwards or overflowed.
    case counterWentBackwards(ReplicaID, counter: UInt32, expectedAtLeast: UInt32)
    /// Too many operations are waiting for their dependencies.
    case causalBufferFull(limit: Int)

    public var description: String {
        switch self {
        case .empty(let r): return "operation from replica \(r) has no units"
        case .unknownElement(let id, let r): return "operation from replica \(r) refers to element \(id), which does not exist"
        case .counterNotAfterReference(let id, let ref): return "insert \(id) is not newer than the element \(ref) it follows"
        case .counterWentBackwards(let r, let c, let e): return "replica \(r) used counter \(c), expected at least \(e)"
        case .causalBufferFull(let n): return "more than \(n) operations are waiting for missing predecessors"
        }
    }
}
