import WeaveCore

/// When a folder record was written, as a total order every replica agrees
/// on: its Lamport time, then its author breaking ties. A replica stamps a new
/// record one above every lamport it has seen, so a write that saw another is
/// stamped after it; two writes that did not see each other are ordered by
/// (lamport, author), the same way everywhere.
public struct WriteStamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var lamport: UInt64
    public var author: ReplicaID

    public init(lamport: UInt64, author: ReplicaID) {
        self.lamport = lamport
        self.author = author
    }

    public static func < (a: WriteStamp, b: WriteStamp) -> Bool {
        a.lamport != b.lamport ? a.lamport < b.lamport : a.author < b.author
    }

    /// "LAMPORT@AUTHOR", the author in 16 hex digits.
    public var description: String { "\(lamport)@\(FolderRecord.hex16(author.rawValue))" }
}
