/// The compact binary encoding of a list of operations (format "WVOP", version 1;
/// docs/INTERNALS.md describes it byte by byte).
///
/// Layout: magic `57 56 4F 50`, a version byte, the replica table (count, then
/// each ID as 8 bytes little-endian), the operation count, then two sections each
/// prefixed by its byte length: *metadata* (one tag varint per operation and the
/// fields the tag does not predict) and *text* (the UTF-8 of every inserted run,
/// in order). Keeping text apart keeps it compressible.
///
/// Laws: `decode(encode(ops)) == ops` for every list of operations; `decode`
/// of any other bytes throws a `DecodeError` (never traps, never allocates more
/// than a small multiple of the input).
public enum OpCodec {
    public static let magic: [UInt8] = [0x57, 0x56, 0x4F, 0x50]  // "WVOP"
    public static let version: UInt8 = 1

    // Tag bits.
    static let isDelete: UInt64 = 1 << 0
    static let sameReplica: UInt64 = 1 << 1
    static let expectedSeq: UInt64 = 1 << 2
    static let expectedCounter: UInt64 = 1 << 3
    static let chainedRef: UInt64 = 1 << 4
    static let noRef: UInt64 = 1 << 5
    static let tagBits = 6

    /// Per-replica predictions shared by encoder and decoder.
    struct Predictor {
        var seqEnd: [UInt32]
        var delta: [Int64]  // counter - seq of the replica's last operation
        var lastReplica = -1
        init(replicas: Int) {
            seqEnd = Array(repeating: 0, count: replicas)
            delta = Array(repeating: 0, count: replicas)
        }
        mutating func update(_ r: Int, seq: UInt32, counter: UInt32, length: Int) {
            seqEnd[r] = seq &+ UInt32(truncatingIfNeeded: length)
            delta[r] = Int64(counter) - Int64(seq)
            lastReplica = r
        }
    }

    /// Encodes a replica's log (`RGA.log`): `encode(Array(log))`, read from the
    /// log's arrays (no `Operation` built). O(total size).
    public static func encode(_ log: OperationLog) -> [UInt8] {
        var out: [UInt8] = []
        encode(log, entries: log.indices, into: &out)
        return out
    }

    /// Appends to `out` the encoding of the log's operations `entries`, the
    /// bytes `encode(Array(log[entries]))` gives, without building them: the
    /// text section is written straight from the log's scalars (one copy of
    /// a file's text when it is ASCII). O(size of those operations).
    public static func encode(_ log: OperationLog, entries: Range<Int>, into out: inout [UInt8]) {
        // Replica indexes in order of first appearance, as `encode(_: [Operation])` numbers them.
        var index = [Int](repeating: -1, count: log.ids.count)
        var ids: [ReplicaID] = []
        func note(_ slot: UInt32) {
            if index[Int(slot)] < 0 { index[Int(slot)] = ids.count; ids.append(log.ids[Int(slot)]) }
        }
        var textStart = -1, textEnd = 0
        for i in entries {
            let e = log.entries[i]
            note(e.replica)
            if e.isDelete {
                for k in e.payload ..< e.payload + Int(e.refCounter) { note(log.runs[k].replica) }
            } else {
                if e.refReplica != OperationLog.documentStart { note(e.refReplica) }
                if textStart < 0 { textStart = e.payload }
                textEnd = e.payload + Int(e.length)
            }
        }
        var meta = ByteWriter()
        var p = Predictor(replicas: ids.count)
        for i in entries {
            let e = log.entries[i]
            let r = index[Int(e.replica)]
            if e.isDelete {
                writeHead(&meta, &p, r: r, seq: e.seq, counter: e.counter,
                          tag: isDelete | UInt64(e.refCounter) << UInt64(tagBits))
                var previous = Int64(e.counter)
                for k in e.payload ..< e.payload + Int(e.refCounter) {
                    let run = log.runs[k]
                    meta.varint(index[Int(run.replica)])
                    meta.zigzag(previous - Int64(run.counter))
                    meta.varint(UInt64(run.length) << 1 | (run.backward ? 1 : 0))
                    previous = Int64(run.counter)
                }
            } else {
                var tag = UInt64(e.length) << UInt64(tagBits)
                if e.refReplica == OperationLog.documentStart {
                    tag |= noRef
                } else if e.refReplica == e.replica && e.refCounter &+ 1 == e.counter {
                    tag |= chainedRef
                }
                writeHead(&meta, &p, r: r, seq: e.seq, counter: e.counter, tag: tag)
                if tag & (noRef | chainedRef) == 0 {
                    meta.varint(index[Int(e.refReplica)])
                    meta.zigzag(Int64(e.counter) - Int64(e.refCounter))
                }
            }
            p.update(r, seq: e.seq, counter: e.counter, length: Int(e.length))
        }
        let text = textStart < 0 ? 0 ..< 0 : textStart ..< textEnd
        let textBytes = log.scalars.utf8Count(text)
        var head = ByteWriter()
        head.append(magic)
        head.bytes.append(version)
        head.varint(ids.count)
        for id in ids { head.u64le(id.rawValue) }
        head.varint(entries.count)
        head.varint(meta.bytes.count)
        out.reserveCapacity(out.count + head.bytes.count + meta.bytes.count + 10 + textBytes)
        out.append(contentsOf: head.bytes)
        out.append(contentsOf: meta.bytes)
        var length = ByteWriter()
        length.varint(textBytes)
        out.append(contentsOf: length.bytes)
        log.scalars.appendUTF8(text, to: &out)
    }

    /// Writes an operation's tag (`tag` with the predictor's bits added) and
    /// the replica, seq and counter fields the predictor does not give. O(1).
    @inline(__always)
    static func writeHead(_ meta: inout ByteWriter, _ p: inout Predictor, r: Int, seq: UInt32, counter: UInt32, tag: UInt64) {
        var tag = tag
        if r == p.lastReplica { tag |= sameReplica }
        if seq == p.seqEnd[r] { tag |= expectedSeq }
        if Int64(counter) - Int64(seq) == p.delta[r] { tag |= expectedCounter }
        meta.varint(tag)
        if tag & sameReplica == 0 { meta.varint(r) }
        if tag & expectedSeq == 0 { meta.varint(seq) }
        if tag & expectedCounter == 0 { meta.varint(counter) }
    }

    /// Encodes `ops`. O(total size).
    public static func encode(_ ops: [Operation]) -> [UInt8] {
        var ids: [ReplicaID] = []
        var slot: [ReplicaID: Int] = [:]
        func index(_ r: ReplicaID) -> Int {
            if let i = slot[r] { return i }
            ids.append(r); slot[r] = ids.count - 1
            return ids.count - 1
        }
        for op in ops {
            _ = index(op.replica)
            switch op.body {
            case .insert(let after, _): if let after { _ = index(after.replica) }
            case .delete(let runs): for run in runs { _ = index(run.start.replica) }
            }
        }
        var meta = ByteWriter()
        var text = ByteWriter()
        var p = Predictor(replicas: ids.count)
        for op in ops {
            let r = slot[op.replica]!
            switch op.body {
            case .insert(let after, let scalars):
                var tag = UInt64(scalars.count) << UInt64(tagBits)
                if let after {
                    if after.replica == op.replica && after.counter &+ 1 == op.counter { tag |= chainedRef }
                } else {
                    tag |= noRef
                }
                writeHead(&meta, &p, r: r, seq: op.seq, counter: op.counter, tag: tag)
                if let after, tag & chainedRef == 0 {
                    meta.varint(slot[after.replica]!)
                    meta.zigzag(Int64(op.counter) - Int64(after.counter))
                }
                text.utf8(scalars)
            case .delete(let runs):
                writeHead(&meta, &p, r: r, seq: op.seq, counter: op.counter, tag: isDelete | UInt64(runs.count) << UInt64(tagBits))
                var previous = Int64(op.counter)
                for run in runs {
                    meta.varint(slot[run.start.replica]!)
                    meta.zigzag(previous - Int64(run.start.counter))
                    meta.varint(UInt64(run.length) << 1 | (run.backward ? 1 : 0))
                    previous = Int64(run.start.counter)
                }
            }
            p.update(r, seq: op.seq, counter: op.counter, length: op.length)
        }
        var out = ByteWriter()
        out.append(magic)
        out.bytes.append(version)
        out.varint(ids.count)
        for id in ids { out.u64le(id.rawValue) }
        out.varint(ops.count)
        out.varint(meta.bytes.count)
        out.append(meta.bytes)
        out.varint(text.bytes.count)
        out.append(text.bytes)
        return out.bytes
    }

    /// Decodes operations encoded by `encode`. Throws `DecodeError` on anything
    /// else: wrong magic, a newer version, truncation, bad varints, indexes out
    /// of range, invalid UTF-8, or bytes left over. O(input size).
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> [Operation] {
        let sections = try sections(ByteReader(bytes))
        var text = sections.text
        var meta = MetadataReader(sections)
        let ids = sections.ids
        var ops: [Operation] = []
        ops.reserveCapacity(sections.operationCount)
        for _ in 0 ..< sections.operationCount {
            let head = try meta.head()
            let body: Operation.Body
            if head.isDelete {
                var runs: [DeletedRun] = []
                runs.reserveCapacity(Int(head.count))
                _ = try meta.deletedRuns(head, nonEmpty: false) { runs.append($0) }
                body = .delete(runs)
            } else {
                let after = try meta.insertReference(head)
                guard head.count <= UInt64(text.remaining) else { throw .valueOutOfRange(offset: head.at, field: "inserted length") }
                body = .insert(after: after, text: try text.utf8(count: Int(head.count), "inserted text"))
            }
            let op = Operation(replica: ids[head.replica], seq: head.seq, counter: head.counter, body: body)
            meta.finish(head, length: op.length)
            ops.append(op)
        }
        guard meta.isAtEnd else { throw .trailingBytes(offset: meta.meta.position) }
        guard text.isAtEnd else { throw .trailingBytes(offset: text.position) }
        return ops
    }
}

// MARK: Decoding into compact storage

extension OpCodec {
    /// Decodes operations encoded by `encode` straight into a log's compact
    /// storage: the log that appending `decode(bytes)`'s operations one by one
    /// would make (`Array(decodeLog(r)) == ` those operations joined where
    /// `canAppend` allows), with no `Operation` and no `[Unicode.Scalar]`
    /// built. The text section is decoded once, at 1, 2 or 4 bytes a scalar
    /// (one copy of its bytes when ASCII), and is the log's `scalars`.
    ///
    /// `r` covers exactly the encoded bytes (a window of a record, read where
    /// it lies); error offsets count from where `r` says its bytes sit.
    /// `each` is called with every operation's replica, seq and length, in
    /// order, before any join (a history's edit ranges).
    ///
    /// Accepts exactly the inputs `decode` accepts, except operations with no
    /// units and deleted runs of length 0, which it refuses
    /// (`valueOutOfRange`): no replica ever applies them, and a log cannot
    /// hold them apart from their neighbours. Throws `DecodeError` as `decode`
    /// does (the first problem found may be another one, as the text is
    /// checked whole before the metadata). O(input size); memory: the log.
    public static func decodeLog(_ r: ByteReader,
                                 each: (_ replica: ReplicaID, _ seq: UInt32, _ length: Int) -> Void = { _, _, _ in })
        throws(DecodeError) -> OperationLog {
        let sections = try sections(r)
        let textReader = sections.text

        // The whole text section at once: the log's scalars.
        let decoded = textReader.bytes.withUnsafeBytes { raw in
            Result { () throws(DecodeError) in
                try ScalarArray.decoding(utf8: UnsafeRawBufferPointer(rebasing: raw[textReader.offset ..< textReader.end]))
            }
        }
        let text: ScalarArray
        switch decoded {
        case .success(let t): text = t
        case .failure(.invalidUTF8(let at)): throw .invalidUTF8(offset: textReader.position + at)
        case .failure(let e): throw e
        }

        var meta = MetadataReader(sections)
        let ids = sections.ids
        var log = OperationLog()
        log.entries.reserveCapacity(sections.operationCount)
        var used = 0  // scalars of `text` taken by the inserts so far
        var runs: [DeletedRun] = []
        for _ in 0 ..< sections.operationCount {
            let head = try meta.head()
            let length: Int
            if head.isDelete {
                runs.removeAll(keepingCapacity: true)
                let units = try meta.deletedRuns(head, nonEmpty: true) { runs.append($0) }
                // An operation's units fit its seq and counter ranges (a UInt32 each).
                guard units <= UInt64(UInt32.max) else { throw .valueOutOfRange(offset: head.at, field: "deleted run count") }
                length = Int(units)
                runs.withUnsafeBufferPointer {
                    _ = log.appendDelete(replica: ids[head.replica], seq: head.seq, counter: head.counter, length: UInt32(units), runs: $0)
                }
            } else {
                let after = try meta.insertReference(head)
                guard head.count > 0, head.count <= UInt64(text.count - used) else { throw .valueOutOfRange(offset: head.at, field: "inserted length") }
                length = Int(head.count)
                _ = log.appendInsertEntry(replica: ids[head.replica], seq: head.seq, counter: head.counter, after: after,
                                          length: UInt32(length), payload: UInt32(used))
                used += length
            }
            each(ids[head.replica], head.seq, length)
            meta.finish(head, length: length)
        }
        guard meta.isAtEnd else { throw .trailingBytes(offset: meta.meta.position) }
        guard used == text.count else { throw .trailingBytes(offset: textReader.position + text.utf8Count(0 ..< used)) }
        log.scalars = text
        return log
    }

    /// `decodeLog` of a whole array. O(bytes.count).
    public static func decodeLog(_ bytes: [UInt8]) throws(DecodeError) -> OperationLog {
        try decodeLog(ByteReader(bytes))
    }
}
