/// A replica's identity: a random 64-bit number chosen once per replica.
///
/// Replica IDs only break ties between element IDs with equal counters, so any
/// two distinct replicas must have distinct IDs; nothing else is asked of them.
public struct ReplicaID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    @inlinable public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    /// A fresh random replica ID.
    public static func random() -> ReplicaID {
        var g = SystemRandomNumberGenerator()
        return ReplicaID(g.next())
    }
    @inlinable public static func < (a: ReplicaID, b: ReplicaID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue, radix: 16) }
}

/// The identity of one element (one Unicode scalar) of a document.
///
/// `counter` is a Lamport clock: a replica gives its next element one more than
/// the largest counter it has seen. IDs order by counter, then by replica; every
/// element's ID is greater than the ID of the element it was inserted after.
public struct ElementID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var counter: UInt32
    public var replica: ReplicaID
    @inlinable public init(counter: UInt32, replica: ReplicaID) {
        self.counter = counter
        self.replica = replica
    }
    @inlinable public static func < (a: ElementID, b: ElementID) -> Bool {
        a.counter != b.counter ? a.counter < b.counter : a.replica < b.replica
    }
    public var description: String { "\(counter)@\(replica)" }
}
