/// Reading an encoding's parts, shared by `OpCodec.decode` (into `[Operation]`)
/// and `OpCodec.decodeLog` (into a log's compact storage), so the wire format
/// is read in one place: a change to it is made here once.
extension OpCodec {
    /// An encoding's header read, and its two sections as windows of the input
    /// (no copy). `meta.position` and `text.position` count from the input's
    /// start, for error offsets.
    struct Sections {
        var ids: [ReplicaID]
        var operationCount: Int
        var meta: ByteReader
        var text: ByteReader
    }

    /// Reads the magic, the version, the replica table, the operation count
    /// and the two sections of the encoding `r` covers; throws when anything
    /// is left after them, or when there are more operations than metadata
    /// bytes (each takes at least one). O(replicas).
    static func sections(_ r: ByteReader) throws(DecodeError) -> Sections {
        var head = r
        guard head.remaining >= 4, head.bytes[head.offset ..< head.offset + 4].elementsEqual(magic) else { throw .badMagic }
        head.offset += 4
        let v = try head.byte("version")
        guard v == version else { throw .unsupportedVersion(found: Int(v), supported: Int(version)) }
        let replicaCount = try head.count("replica count", atMost: head.remaining / 8)
        var ids: [ReplicaID] = []
        ids.reserveCapacity(replicaCount)
        for _ in 0 ..< replicaCount { ids.append(ReplicaID(try head.u64le("replica ID"))) }
        let opCount = try head.count("operation count", atMost: head.remaining)
        let metaLength = try head.count("metadata length", atMost: head.remaining)
        let meta = try head.window(metaLength, "metadata")
        let textLength = try head.count("text length", atMost: head.remaining)
        let text = try head.window(textLength, "text")
        guard head.isAtEnd else { throw .trailingBytes(offset: head.position) }
        guard opCount <= metaLength else { throw .inconsistent("\(opCount) operations in \(metaLength) bytes of metadata") }
        return Sections(ids: ids, operationCount: opCount, meta: meta, text: text)
    }

    /// One operation's head: its tag and the replica, seq and counter the tag
    /// and the fields after it give.
    struct Head {
        /// Where the tag sits in the input (for error offsets).
        var at: Int
        var tag: UInt64
        /// Index into the replica table.
        var replica: Int
        var seq: UInt32
        var counter: UInt32
        var isDelete: Bool { tag & OpCodec.isDelete != 0 }
        /// Deleted runs (a delete) or inserted scalars (an insert).
        var count: UInt64 { tag >> UInt64(tagBits) }
    }

    /// The metadata section read in order: each operation's head, then its
    /// deleted runs or its insert reference, with the predictor both
    /// decoders share. Every read checks its range; failures are
    /// `valueOutOfRange`, `truncated` or `varintTooLong` at the input offset.
    struct MetadataReader {
        var meta: ByteReader
        let ids: [ReplicaID]
        var predictor: Predictor

        init(_ sections: Sections) {
            meta = sections.meta
            ids = sections.ids
            predictor = Predictor(replicas: sections.ids.count)
        }

        var isAtEnd: Bool { meta.isAtEnd }

        @inline(__always)
        mutating func replica(_ what: String) throws(DecodeError) -> Int {
            try meta.count(what, atMost: ids.count - 1)
        }

        /// `base - delta` as a counter, or `valueOutOfRange` at `at`.
        @inline(__always)
        func counter(_ base: Int64, minus delta: Int64, _ what: String, at: Int) throws(DecodeError) -> UInt32 {
            let (c, overflow) = base.subtractingReportingOverflow(delta)
            guard !overflow, c >= 0, c <= Int64(UInt32.max) else { throw .valueOutOfRange(offset: meta.base + at, field: what) }
            return UInt32(c)
        }

        /// The next operation's head. A delete's tag must not carry reference
        /// bits; an insert's must not carry both.
        @inline(__always)
        mutating func head() throws(DecodeError) -> Head {
            let at = meta.offset
            let tag = try meta.varint("operation tag")
            let r: Int
            if tag & sameReplica != 0 {
                guard predictor.lastReplica >= 0 else { throw .valueOutOfRange(offset: meta.base + at, field: "operation tag") }
                r = predictor.lastReplica
            } else {
                r = try replica("operation replica")
            }
            let seq = tag & expectedSeq != 0 ? predictor.seqEnd[r] : try meta.u32("operation seq")
            let counter: UInt32
            if tag & expectedCounter != 0 {
                let c = Int64(seq) + predictor.delta[r]
                guard c >= 0, c <= Int64(UInt32.max) else { throw .valueOutOfRange(offset: meta.base + at, field: "operation counter") }
                counter = UInt32(c)
            } else {
                counter = try meta.u32("operation counter")
            }
            let head = Head(at: meta.base + at, tag: tag, replica: r, seq: seq, counter: counter)
            if head.isDelete {
                guard tag & (chainedRef | noRef) == 0 else { throw .valueOutOfRange(offset: head.at, field: "operation tag") }
            } else {
                guard tag & (chainedRef | noRef) != (chainedRef | noRef) else { throw .valueOutOfRange(offset: head.at, field: "operation tag") }
            }
            return head
        }

        /// A delete's runs, in order, each passed to `run`; returns the units
        /// they delete. `nonEmpty` refuses a delete of no runs and runs of
        /// length 0 (which the compact log cannot hold). O(runs).
        @inline(__always)
        mutating func deletedRuns(_ head: Head, nonEmpty: Bool, _ run: (DeletedRun) -> Void) throws(DecodeError) -> UInt64 {
            let n = head.count
            guard n <= UInt64(meta.remaining / 3), !nonEmpty || n > 0 else {
                throw .valueOutOfRange(offset: head.at, field: "deleted run count")
            }
            var previous = Int64(head.counter)
            var units: UInt64 = 0
            for _ in 0 ..< Int(n) {
                let rr = try replica("deleted run replica")
                let at = meta.offset
                let start = try counter(previous, minus: try meta.zigzag("deleted run start"), "deleted run start", at: at)
                let lengthAt = meta.offset
                let lb = try meta.varint("deleted run length")
                guard lb >> 1 <= UInt64(UInt32.max), !nonEmpty || lb >> 1 > 0 else {
                    throw .valueOutOfRange(offset: meta.base + lengthAt, field: "deleted run length")
                }
                run(DeletedRun(start: ElementID(counter: start, replica: ids[rr]), length: UInt32(lb >> 1), backward: lb & 1 == 1))
                units += lb >> 1
                previous = Int64(start)
            }
            return units
        }

        /// An insert's reference: none, the element just before its first
        /// (chained), or one written out. O(1).
        @inline(__always)
        mutating func insertReference(_ head: Head) throws(DecodeError) -> ElementID? {
            if head.tag & noRef != 0 { return nil }
            if head.tag & chainedRef != 0 {
                guard head.counter > 0 else { throw .valueOutOfRange(offset: head.at, field: "insert reference") }
                return ElementID(counter: head.counter - 1, replica: ids[head.replica])
            }
            let rr = try replica("insert reference replica")
            let at = meta.offset
            return ElementID(counter: try counter(Int64(head.counter), minus: try meta.zigzag("insert reference"), "insert reference", at: at),
                             replica: ids[rr])
        }

        /// Records the operation just read, for the next head's predictions.
        @inline(__always)
        mutating func finish(_ head: Head, length: Int) {
            predictor.update(head.replica, seq: head.seq, counter: head.counter, length: length)
        }
    }
}
