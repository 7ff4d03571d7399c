import WeaveCore
import WeaveHistory

/// The current state of a document as it stands after its whole history: its
/// text (UTF-8, contiguous) and the version it reflects. Stored in the history
/// file as a *state* record (type 5, docs/OPLOG.md) after a log snapshot, so
/// that `weave show` prints the latest text without decoding and replaying the
/// history (which costs O(history): 0.2 s for 260k edits).
///
/// A state never replaces the log: it is a cache of what the log makes, and it
/// is used only when nothing can make it wrong (`OpLog.currentState`):
/// - it is the last record that changes the text: an edit or snapshot record
///   after it means it is an old version (the edits after it are not in it);
/// - its record is whole and its CRC-32C right, its text inflates to the
///   stated length, is valid UTF-8 and has the stated FNV-1a hash;
/// - when it is written, the document it is made from has seen exactly the
///   units the history's edits hold (`version` equals the history's version),
///   else no state is written.
/// Otherwise the reader falls back to the log (as for a history written before
/// states existed) and a later compaction writes a new state.
public struct StateSnapshot: Equatable, Sendable {
    /// How many edits of the history it reflects.
    public var edits: Int
    /// The units it reflects, per replica.
    public var version: VersionVector
    /// The visible text, UTF-8.
    public var text: [UInt8]

    public init(edits: Int, version: VersionVector, text: [UInt8]) {
        self.edits = edits
        self.version = version
        self.text = text
    }

    /// The state of `doc` after `edits` edits of its history. O(n) in its text.
    public init(of doc: RGA, edits: Int) {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(doc.count)
        doc.visibleScalars.forEachUTF8Chunk { utf8.append(contentsOf: $0) }
        self.init(edits: edits, version: doc.version, text: utf8)
    }

    /// The state of `doc` after every edit of `history`, or nil when the
    /// history is short (`minimumEdits`) or `doc` has not seen exactly the
    /// units of its edits. O(history + text).
    public init?(of doc: RGA, history: History) {
        guard history.edits.count >= Self.minimumEdits, doc.version == history.version(after: history.edits.count) else { return nil }
        self.init(of: doc, edits: history.edits.count)
    }

    /// Histories with fewer edits than this get no state record: replaying
    /// them is already about as fast as reading the state.
    public static let minimumEdits = 1_000

    // MARK: Encoding

    /// The record's payload: type byte 5, varint edits, varint replica count,
    /// per replica (ascending ID) u64 ID and varint units, varint text length
    /// (UTF-8 bytes), u64 FNV-1a hash of the text, then the text as zlib data
    /// to the end of the record (nothing when the text is empty). O(text).
    func payload() -> [UInt8] {
        var w = ByteWriter()
        w.bytes.append(OpLogFormat.RecordType.state.rawValue)
        w.varint(edits)
        let replicas = version.counts.sorted { $0.key < $1.key }
        w.varint(replicas.count)
        for (id, units) in replicas {
            w.u64le(id.rawValue)
            w.varint(units)
        }
        let mark = TextMark(utf8: text)
        w.varint(mark.length)
        w.u64le(mark.hash)
        if !text.isEmpty { w.append(Snapshot.deflate(text)) }
        return w.bytes
    }

    /// Decodes a state record's body (after its type byte), read where it
    /// lies. Throws when any field is out of range, the text does not inflate
    /// to its length, is not UTF-8, or its hash differs. O(text).
    static func decode(_ r: inout ByteReader) throws(DecodeError) -> StateSnapshot {
        let edits = try r.count("state edits", atMost: Int(UInt32.max))
        let n = try r.count("state replica count", atMost: r.remaining / 9)
        var counts: [ReplicaID: UInt32] = [:]
        var previous: UInt64?
        for _ in 0 ..< n {
            let at = r.position
            let id = try r.u64le("state replica")
            // Ascending and distinct, as written: anything else is damage.
            if let previous, id <= previous { throw .valueOutOfRange(offset: at, field: "state replica order") }
            previous = id
            counts[ReplicaID(id)] = try r.u32("state units")
        }
        let lengthAt = r.position
        let length = try r.count("state text length", atMost: Int(UInt32.max))
        let hash = try r.u64le("state text hash")
        let at = r.position
        let packed = try r.window(r.remaining, "state text")
        // zlib expands at most about 1032 times: a larger length is damage, never an allocation.
        guard length <= packed.remaining * 1032 + 64 else { throw .valueOutOfRange(offset: lengthAt, field: "state text length") }
        let text: [UInt8]
        if length == 0 {
            guard packed.remaining == 0 else { throw .trailingBytes(offset: at) }
            text = []
        } else {
            let inflated = packed.bytes.withUnsafeBytes { all in
                Snapshot.inflate(UnsafeRawBufferPointer(rebasing: all[packed.offset ..< packed.end]), size: length)
            }
            guard let inflated else { throw .inconsistent("state text does not decompress to \(length) bytes") }
            text = inflated
        }
        guard TextMark(utf8: text).hash == hash else { throw .inconsistent("state text does not match its hash") }
        do { try ScalarArray.validateUTF8(text) } catch { throw .inconsistent("state text is not UTF-8") }
        return StateSnapshot(edits: edits, version: VersionVector(counts), text: text)
    }
}
