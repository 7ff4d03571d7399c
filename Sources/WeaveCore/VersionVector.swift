/// What a replica has seen: for each replica, how many of its operation units
/// (inserted or deleted elements) have been applied.
///
/// Every replica's units are numbered 0, 1, 2, … (its *seq*), and a replica
/// applies another replica's units in seq order, so one number per replica
/// describes everything seen from it. Laws: `merging` is commutative,
/// associative and idempotent; `a.includes(b)` is a partial order.
public struct VersionVector: Hashable, Sendable, CustomStringConvertible {
    public private(set) var counts: [ReplicaID: UInt32]

    public init(_ counts: [ReplicaID: UInt32] = [:]) {
        self.counts = counts.filter { $0.value > 0 }
    }

    /// Units seen from `replica` (0 when none).
    public subscript(replica: ReplicaID) -> UInt32 {
        get { counts[replica] ?? 0 }
        set { counts[replica] = newValue == 0 ? nil : newValue }
    }

    /// True when everything `other` has seen, this has seen too.
    public func includes(_ other: VersionVector) -> Bool {
        other.counts.allSatisfy { self[$0.key] >= $0.value }
    }

    /// The least version that includes both.
    public func merging(_ other: VersionVector) -> VersionVector {
        var out = self
        for (r, n) in other.counts where out[r] < n { out[r] = n }
        return out
    }

    /// Total number of units seen.
    public var total: Int { counts.values.reduce(0) { $0 + Int($1) } }

    public var description: String {
        "{" + counts.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ", ") + "}"
    }
}
