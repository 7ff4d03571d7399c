import WeaveCore

/// Someone who edits a document: a replica, with the name and colour people see.
/// The same value is kept in the history file (docs/OPLOG.md) and sent to peers
/// in History notes (docs/WIRE.md).
public struct Author: Hashable, Sendable {
    public var replica: ReplicaID
    public var name: String
    /// Index into the UI's palette of author colours. The history file keeps up
    /// to 2^16; the wire carries one byte, into which a colour outside 0...255 is clamped.
    public var colour: Int

    public init(replica: ReplicaID, name: String, colour: Int) {
        self.replica = replica
        self.name = name
        self.colour = colour
    }
}

/// The units of one replica an edit contains: seqs `start ..< start + count`.
public struct UnitRange: Hashable, Sendable {
    public var replica: ReplicaID
    public var start: UInt32
    public var count: UInt32

    public init(replica: ReplicaID, start: UInt32, count: UInt32) {
        self.replica = replica
        self.start = start
        self.count = count
    }
}

/// One step of a document's history as this replica received it: a keystroke, a
/// paste, a restore, a batch from a peer, or one transaction of an imported
/// trace. Edits partition the replica's log in order: applying the log's units
/// edit by edit walks through every recorded version.
public struct Edit: Hashable, Sendable {
    /// Milliseconds since 1970-01-01 UTC when this replica applied it.
    public var time: Int64
    /// Its units, per replica, in the order applied.
    public var ranges: [UnitRange]

    public init(time: Int64, ranges: [UnitRange]) {
        self.time = time
        self.ranges = ranges
    }

    /// The edit made of exactly the units of `ops`, which must be contiguous per
    /// replica (as a local edit or a received batch is).
    public init(time: Int64, ops: [Operation]) {
        var ranges: [UnitRange] = []
        for op in ops where op.length > 0 {
            if let last = ranges.last, last.replica == op.replica, last.start &+ last.count == op.seq {
                ranges[ranges.count - 1].count &+= UInt32(op.length)
            } else {
                ranges.append(UnitRange(replica: op.replica, start: op.seq, count: UInt32(op.length)))
            }
        }
        self.init(time: time, ranges: ranges)
    }

    /// Total units.
    public var unitCount: Int { ranges.reduce(0) { $0 + Int($1.count) } }

    /// The replica that made most of it (its author, for display).
    public var author: ReplicaID? { ranges.max { $0.count < $1.count }?.replica }
}

/// What the history knows: who wrote, and every edit in the order applied.
public struct History: Sendable, Equatable {
    public var authors: [ReplicaID: Author] = [:]
    public var edits: [Edit] = []

    public init(authors: [ReplicaID: Author] = [:], edits: [Edit] = []) {
        self.authors = authors
        self.edits = edits
    }

    /// The version after the first `n` edits. O(n · ranges).
    public func version(after n: Int) -> VersionVector {
        var v = VersionVector()
        for e in edits.prefix(n) {
            for r in e.ranges where v[r.replica] < r.start &+ r.count { v[r.replica] = r.start &+ r.count }
        }
        return v
    }

    /// The display name of a replica ("replica 1a2b…" when unknown).
    public func name(of replica: ReplicaID) -> String {
        authors[replica]?.name ?? "replica \(replica)"
    }
}
