/// A replicated text document: an RGA (Replicated Growable Array, Roh et al.
/// 2011) of Unicode scalars.
///
/// Every element keeps its ID forever; deleting leaves a tombstone. Elements live
/// in a B-tree of *spans* (runs of elements of one replica with consecutive
/// counters, all visible or all deleted) whose inner nodes count visible
/// elements, so visible index → element and element → visible index are both
/// O(log n). A per-replica run-length table maps each element's counter to its
/// leaf, its scalar (in the log) and the seq that inserted it; who deleted it
/// is rebuilt from the log when a history view asks (RGA+Deleters.swift).
///
/// Laws (checked by the tests): applying the same set of operations in any
/// causal order gives the same text; applying an operation twice is harmless;
/// `text(at: v)` equals the text of a replica that saw exactly `v`.
///
/// Costs, with n elements (tombstones included) and s spans: local insert and
/// delete O(log s + run length); remote insert O(log s + k), where k is the number
/// of concurrent siblings skipped; remote delete O(runs · log s); `text` O(n).
public struct RGA: Sendable {
    // MARK: Replicas

    struct Replica: Sendable {
        var id: ReplicaID
        /// Units applied from this replica (its version-vector entry).
        var seqEnd: UInt32 = 0
        /// One past the largest counter this replica has used (its counters only grow).
        var counterEnd: UInt32 = 0
        /// Elements by counter, run-length encoded (see ElementTable.swift).
        var elements = ElementTable()
        /// Indexes into `log` of this replica's operations, in seq order.
        var logIndexes: [UInt32] = []
    }

    var replicas: [Replica] = []
    var replicaIndex = ReplicaSlots()

    /// The replica this document edits as.
    public let localReplica: ReplicaID
    let local: Int

    /// One more than the largest counter seen: the next local counter.
    public internal(set) var lamport: UInt32 = 0

    // MARK: The span tree (flat arena; see RGA+Tree.swift)

    var spans: [Span] = []
    var leafLen: [Int] = []
    var leafParent: [Int] = []
    var leafNext: [Int] = []
    var leafPrev: [Int] = []
    /// Each leaf's slot among its parent's children.
    var leafSlot: [Int] = []
    var nodeChildren: [Int] = []
    var nodeCounts: [Int] = []
    var nodeLen: [Int] = []
    var nodeParent: [Int] = []
    var nodeBottom: [Bool] = []
    /// Each inner node's slot among its parent's children.
    var nodeSlot: [Int] = []
    var root = 0
    var firstLeaf = 0
    /// Each group's leaf (see RGA+Groups.swift): the element tables name a
    /// group, so spans that move together change one entry here.
    var groups: [Group] = []
    /// Bumped by every leaf split; `Group.mark` compares it.
    var splitStamp: UInt32 = 0
    /// Each leaf's visible-count change not yet added to its ancestors, and
    /// the leaves that have one, while `countsDeferred` (see `deferringCounts`).
    var leafPending: [Int] = []
    var dirtyLeaves: [Int] = []
    var countsDeferred = false
    /// Visible elements (the root's counts, kept as a sum).
    var visibleCount = 0
    /// Elements in the tree, tombstones included.
    public internal(set) var elementCount = 0

    /// Bumped by every change to the tree; caches compare it.
    var mutationStamp = 0
    var typing: TypingCache?
    /// Where the last remote insert or delete ended (leaf, span): the next
    /// operation most often refers to an element there (see `locate`).
    var lastPlace = (leaf: 0, span: 0)

    // MARK: History

    /// Every operation applied, in the order this replica applied them, adjacent
    /// ones merged where `Operation.canAppend` allows (stored compactly; see
    /// OperationLog.swift).
    public internal(set) var log = OperationLog()
    /// Operations waiting for their causal dependencies (see CausalBuffer.swift).
    var pending = CausalBuffer()
    /// Waiting operations looked at again after something they waited for
    /// arrived (a count for the tests of the buffer's cost).
    var causalChecks = 0
    /// The most operations `pending` may hold before `receive` refuses more.
    public var pendingLimit = 100_000

    /// A new, empty document edited as `replica`.
    public init(replica: ReplicaID = .random()) {
        localReplica = replica
        local = 0
        replicas = [Replica(id: replica)]
        replicaIndex.insert(replica, slot: 0)
        makeEmptyTree()
    }

    /// Number of visible scalars. O(1).
    public var count: Int { visibleCount }

    /// The visible text. O(n): one walk of the spans for the stretches of
    /// `log.scalars` to copy (joined where they meet) and their UTF-8 size,
    /// then the UTF-8 written once, straight into the string's storage.
    public var text: String {
        var ranges: [Range<Int>] = []
        var bytes = 0
        var open = 0 ..< 0
        forEachVisibleRange { r in
            if r.lowerBound == open.upperBound { open = open.lowerBound ..< r.upperBound; return }
            if !open.isEmpty { ranges.append(open); bytes += log.scalars.utf8Count(open) }
            open = r
        }
        if !open.isEmpty { ranges.append(open); bytes += log.scalars.utf8Count(open) }
        if bytes == 0 { return "" }
        // All ASCII at 1 byte a scalar: the storage is the UTF-8, copied as is.
        let ascii = bytes == visibleCount && log.scalars.width == 1
        return String(unsafeUninitializedCapacity: bytes) { out in
            var k = 0
            for r in ranges {
                let rest = UnsafeMutableBufferPointer(rebasing: out[k...])
                if ascii {
                    log.scalars.withUnsafeValues(r) { raw, _ in
                        UnsafeMutableRawBufferPointer(rest).copyMemory(from: raw)
                    }
                    k += r.count
                } else {
                    k += log.scalars.writeUTF8(r, to: rest)
                }
            }
            return k
        }
    }

    /// The visible text as scalars. O(n).
    public var scalars: [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(visibleCount)
        forEachVisibleRange { out.append(contentsOf: log.scalars.array($0)) }
        return out
    }

    /// What this replica has seen.
    public var version: VersionVector {
        var v = VersionVector()
        for r in replicas { v[r.id] = r.seqEnd }
        return v
    }

    /// Units seen from `replica`: its entry in `version`, without building the vector. O(1).
    public func seen(_ replica: ReplicaID) -> UInt32 {
        slot(of: replica).map { replicas[$0].seqEnd } ?? 0
    }

    /// Index of a known replica. O(1); a linear scan while there are few.
    @inline(__always)
    func slot(of id: ReplicaID) -> Int? {
        if replicas.count <= 8 {
            for i in replicas.indices where replicas[i].id == id { return i }
            return nil
        }
        return replicaIndex[id]
    }

    /// Index of a replica, registering it when new.
    @inline(__always)
    mutating func replicaSlot(_ id: ReplicaID) -> Int {
        if let i = slot(of: id) { return i }
        replicas.append(Replica(id: id))
        replicaIndex.insert(id, slot: replicas.count - 1)
        return replicas.count - 1
    }
}

/// One element of the document, as a stored position in the paged table.
struct ElementKey: Hashable, Sendable {
    var replica: UInt32
    var counter: UInt32
}

/// One unit of an operation: (replica slot, seq).
struct UnitRef: Hashable, Sendable {
    var replica: UInt32
    var seq: UInt32
}

/// What the document knows about one element (read from its `ElementRun`).
struct ElementEntry: Sendable {
    static let absent: Int32 = -1
    static let noDeleter = UInt32.max
    /// Leaf holding the element, or `absent` when no such element exists.
    var leaf: Int32 = ElementEntry.absent
    var scalar: UInt32 = 0
    /// Seq of the unit that inserted it.
    var seq: UInt32 = 0
    /// The first unit that deleted it (replica slot, seq), or `noDeleter`.
    var deleterReplica: UInt32 = ElementEntry.noDeleter
    var deleterSeq: UInt32 = 0
}

/// A run of elements in the tree: `length` elements of replica slot `replica`
/// with counters `counter ..< counter + length`, consecutive in document order,
/// all visible or all deleted, in group `group` (see RGA+Groups.swift). 16
/// bytes: `deleted` is the slot's top bit.
struct Span: Sendable {
    var counter: UInt32
    private var replicaAndDeleted: UInt32
    var length: UInt32
    var group: UInt32

    init(counter: UInt32, replica: UInt32, length: UInt32, deleted: Bool, group: UInt32) {
        self.counter = counter
        replicaAndDeleted = replica | (deleted ? Span.deletedBit : 0)
        self.length = length
        self.group = group
    }

    static let deletedBit: UInt32 = 1 << 31
    @inline(__always) var replica: UInt32 { replicaAndDeleted & ~Span.deletedBit }
    @inline(__always) var deleted: Bool {
        get { replicaAndDeleted & Span.deletedBit != 0 }
        set { replicaAndDeleted = newValue ? replicaAndDeleted | Span.deletedBit : replicaAndDeleted & ~Span.deletedBit }
    }
    @inline(__always) var visible: Int { deleted ? 0 : Int(length) }
}
