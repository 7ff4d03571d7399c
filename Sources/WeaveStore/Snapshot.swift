import WeaveCore
import WeaveHistory
import CZlib

/// A snapshot record: the whole history so far in one compressed payload, so a
/// long history opens without reading one record per keystroke.
///
/// Raw layout before zlib: replica table (count, u64 each), authors (count,
/// then each as in an author record), edits (count; each: zigzag time delta,
/// range count, then per range the replica index and unit count — a range's
/// first seq is implied by the running count of that replica's units), the
/// text mark (flag, then length and hash), and the whole log as one `OpCodec`
/// blob (length-prefixed).
enum Snapshot {
    static func encode(ops: [Operation], history: History, mark: TextMark?) -> [UInt8] {
        encode(blob: OpCodec.encode(ops), history: history, mark: mark)
    }

    /// `encode(ops: Array(log), …)`, written from the log's storage (no
    /// `Operation` built). O(history).
    static func encode(log: OperationLog, history: History, mark: TextMark?) -> [UInt8] {
        encode(blob: OpCodec.encode(log), history: history, mark: mark)
    }

    /// A snapshot payload around `blob`, the whole log encoded by `OpCodec`.
    private static func encode(blob: [UInt8], history: History, mark: TextMark?) -> [UInt8] {
        var replicas: [ReplicaID] = []
        var index: [ReplicaID: Int] = [:]
        for e in history.edits {
            for r in e.ranges where index[r.replica] == nil {
                index[r.replica] = replicas.count
                replicas.append(r.replica)
            }
        }
        var w = ByteWriter()
        w.varint(replicas.count)
        for r in replicas { w.u64le(r.rawValue) }
        let authors = history.authors.values.sorted { $0.replica < $1.replica }
        w.varint(authors.count)
        for a in authors { OpLogFormat.writeAuthor(a, to: &w) }
        w.varint(history.edits.count)
        var previous: Int64 = 0
        for e in history.edits {
            w.zigzag(e.time &- previous)
            previous = e.time
            w.varint(e.ranges.count)
            for r in e.ranges {
                w.varint(index[r.replica]!)
                w.varint(r.count)
            }
        }
        if let mark {
            w.varint(1)
            w.varint(mark.length)
            w.u64le(mark.hash)
            w.varint(mark.edits)
        } else {
            w.varint(0)
        }
        w.varint(blob.count)
        w.append(blob)
        var out = ByteWriter()
        out.bytes.append(OpLogFormat.RecordType.snapshot.rawValue)
        out.varint(w.bytes.count)
        out.append(deflate(w.bytes))
        return out.bytes
    }

    /// Decodes a snapshot payload (after its type byte), read where it lies:
    /// the zlib data is inflated from the record's bytes, and the log decoded
    /// from the inflated ones into compact storage (`OpCodec.decodeLog`).
    /// Memory: the inflated bytes (freed on return) and the log.
    static func decode(_ r: inout ByteReader) throws(DecodeError) -> (log: OperationLog, history: History, mark: TextMark?) {
        let d = try decode(&r, lazyEdits: false)
        return (d.log, d.history, d.mark)
    }

    /// `decode(_:)`, with the edits left encoded when `lazyEdits`: every
    /// field is read and checked as when they are decoded (so damage is found
    /// now, never when they are asked for), but no `Edit` is built; the
    /// history's edits are then empty and `PendingEdits` holds them (their
    /// bytes, count and version). Building 260k edits (an array each) is most
    /// of a long history's decoding; skipping them is a read of their bytes.
    static func decode(_ r: inout ByteReader, lazyEdits: Bool) throws(DecodeError)
        -> (log: OperationLog, history: History, mark: TextMark?, pending: PendingEdits?) {
        let rawLength = try r.count("snapshot length", atMost: OpLogFormat.maxPayload)
        let packed = try r.window(r.remaining, "snapshot")
        let inflated = packed.bytes.withUnsafeBytes { all in
            inflate(UnsafeRawBufferPointer(rebasing: all[packed.offset ..< packed.end]), size: rawLength)
        }
        guard let raw = inflated else { throw .inconsistent("snapshot does not decompress") }
        var s = ByteReader(raw)
        let replicaCount = try s.count("replica count", atMost: s.remaining / 8)
        var replicas: [ReplicaID] = []
        for _ in 0 ..< replicaCount { replicas.append(ReplicaID(try s.u64le("replica ID"))) }
        var history = History()
        let authorCount = try s.count("author count", atMost: s.remaining / 10)
        for _ in 0 ..< authorCount {
            let a = try OpLogFormat.readAuthor(&s)
            history.authors[a.replica] = a
        }
        let editCount = try s.count("edit count", atMost: s.remaining / 2)
        let editsStart = s.offset
        var edits: [Edit]? = lazyEdits ? nil : []
        let running = try decodeEdits(&s, count: editCount, replicas: replicas, into: &edits)
        var pending: PendingEdits?
        if let edits {
            history.edits = edits
        } else {
            var version = VersionVector()
            for (i, units) in running.enumerated() where units > 0 { version[replicas[i]] = units }
            pending = PendingEdits(bytes: Array(raw[editsStart ..< s.offset]), replicas: replicas,
                                   count: editCount, version: version)
        }
        var mark: TextMark?
        if try s.count("text mark flag", atMost: 1) == 1 {
            let length = try s.count("text length", atMost: Int.max)
            let hash = try s.u64le("text hash")
            mark = TextMark(length: length, hash: hash, edits: try s.count("text edits", atMost: Int.max))
        }
        let blobLength = try s.count("log length", atMost: s.remaining)
        let log = try OpCodec.decodeLog(try s.window(blobLength, "log"))
        guard s.isAtEnd else { throw .trailingBytes(offset: s.offset) }
        return (log, history, mark, pending)
    }

    /// Reads `count` edits of a snapshot (each: zigzag time delta, range
    /// count, then per range the replica index and unit count), appending
    /// them to `edits` unless nil (then only read and checked). Returns each
    /// replica's units after them (its version). O(their bytes), plus an
    /// array per edit when built.
    static func decodeEdits(_ s: inout ByteReader, count editCount: Int, replicas: [ReplicaID],
                            into edits: inout [Edit]?) throws(DecodeError) -> [UInt32] {
        let replicaCount = replicas.count
        if edits == nil, let (end, running) = skimEdits(s, count: editCount, replicaCount: replicaCount) {
            s.offset = end
            return running
        }
        edits?.reserveCapacity(editCount)
        var time: Int64 = 0
        var running = [UInt32](repeating: 0, count: replicaCount)
        for _ in 0 ..< editCount {
            time = time &+ (try s.zigzag("edit time"))
            let n = try s.count("range count", atMost: s.remaining / 2)
            if edits == nil {
                for _ in 0 ..< n {
                    let i = try s.count("range replica", atMost: replicaCount - 1)
                    running[i] &+= try s.u32("range units")
                }
                continue
            }
            var ranges: [UnitRange] = []
            ranges.reserveCapacity(n)
            for _ in 0 ..< n {
                let i = try s.count("range replica", atMost: replicaCount - 1)
                let c = try s.u32("range units")
                ranges.append(UnitRange(replica: replicas[i], start: running[i], count: c))
                running[i] &+= c
            }
            edits!.append(Edit(time: time, ranges: ranges))
        }
        return running
    }

    /// `decodeEdits` without building them, on the raw bytes: the end of the
    /// edits and each replica's units after them, or nil when anything is
    /// unusual — a field cut short, out of range, or longer than its value
    /// needs — and the checked reader must decide (and name the problem).
    /// Never accepts what that reader refuses: every check is as strict or
    /// stricter. About five times faster (no call and no bounds check a field).
    static func skimEdits(_ s: ByteReader, count editCount: Int, replicaCount: Int) -> (end: Int, running: [UInt32])? {
        var running = [UInt32](repeating: 0, count: replicaCount)
        let end = s.end, start = s.offset
        // Locals of the closure only (no captured variable: no exclusivity check a read).
        let stop = s.bytes.withUnsafeBufferPointer { b -> Int? in
            running.withUnsafeMutableBufferPointer { units -> Int? in
                var o = start
                for _ in 0 ..< editCount {
                    guard skimVarint(b, &o, end, 9) != nil else { return nil }  // the time
                    // At most half the bytes left after it (the checked reader: before it).
                    guard let n = skimVarint(b, &o, end, 9), n <= UInt64((end - o) / 2) else { return nil }
                    for _ in 0 ..< Int(n) {
                        guard let i = skimVarint(b, &o, end, 9), i < UInt64(replicaCount) else { return nil }
                        guard let c = skimVarint(b, &o, end, 5), c <= UInt64(UInt32.max) else { return nil }
                        units[Int(i)] &+= UInt32(c)
                    }
                }
                return o
            }
        }
        return stop.map { ($0, running) }
    }

    /// A varint of at most `most` bytes at `b[o]`, `o` moved past it (nil:
    /// longer, or cut short by `end`).
    @inline(__always)
    private static func skimVarint(_ b: UnsafeBufferPointer<UInt8>, _ o: inout Int, _ end: Int, _ most: Int) -> UInt64? {
        var value: UInt64 = 0, shift: UInt64 = 0
        for _ in 0 ..< most {
            guard o < end else { return nil }
            let x = b[o]
            o += 1
            value |= UInt64(x & 0x7f) << shift
            if x & 0x80 == 0 { return value }
            shift += 7
        }
        return nil
    }

    static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var bound = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(bound))
        let rc = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { i in compress2(o.baseAddress, &bound, i.baseAddress, uLong(bytes.count), 6) }
        }
        precondition(rc == Z_OK, "zlib compress2 failed with \(rc)")
        return Array(out[0 ..< Int(bound)])
    }

    static func inflate(_ bytes: UnsafeRawBufferPointer, size: Int) -> [UInt8]? {
        if size == 0 { return [] }
        guard let input = bytes.baseAddress else { return nil }
        var n = uLong(size)
        var out = [UInt8](repeating: 0, count: size)
        let rc = out.withUnsafeMutableBufferPointer { o in
            uncompress(o.baseAddress, &n, input.assumingMemoryBound(to: Bytef.self), uLong(bytes.count))
        }
        return rc == Z_OK && Int(n) == size ? out : nil
    }
}

/// A snapshot's edits, still encoded (`Snapshot.decode(_:lazyEdits:)`): read
/// and checked when the file was loaded, built only when asked for
/// (`decode()`: time travel, blame, a save's rewrite). Holds their bytes (a
/// few bytes an edit: 1.3 MB for automerge-paper's 259,778), their count and
/// the version after them.
public struct PendingEdits: Sendable {
    let bytes: [UInt8]
    let replicas: [ReplicaID]
    /// How many edits.
    public let count: Int
    /// The units of every replica after them (`History.version(after: count)`).
    public let version: VersionVector

    /// The edits, as an eager load gives them. O(their bytes), an array an edit.
    public func decode() -> [Edit] {
        var r = ByteReader(bytes)
        var edits: [Edit]? = []
        do {
            _ = try Snapshot.decodeEdits(&r, count: count, replicas: replicas, into: &edits)
        } catch {
            // They were read and checked from these very bytes when the file was loaded.
            preconditionFailure("edits checked on loading no longer decode: \(error)")
        }
        return edits!
    }
}
