import WeaveCore
import WeaveHistory

/// The sidecar's byte layout (docs/OPLOG.md): a 16-byte header, then records
/// `[u32 length][u32 CRC-32C][payload]`, each payload a type byte and a body.
enum OpLogFormat {
    static let magic: [UInt8] = Array("WEAVELOG".utf8)
    /// The format of a history without a state record (readable by every Weave).
    static let version: UInt32 = 1
    /// The format of a history with a state record (type 5), which a format-1
    /// reader would take for damage: it refuses it as newer instead.
    static let stateVersion: UInt32 = 2
    /// The formats this Weave reads.
    static let readable: ClosedRange<UInt32> = 1 ... 2
    static let headerSize = 16
    static let recordHeaderSize = 8
    /// No record is larger; a length above it is damage, not a reason to allocate.
    static let maxPayload = 1 << 28

    enum RecordType: UInt8 {
        case author = 1
        case edit = 2
        case snapshot = 3
        case textMark = 4
        /// The document's current text and version (`StateSnapshot`); format 2.
        case state = 5
    }

    static func header(version: UInt32 = OpLogFormat.version) -> [UInt8] {
        var w = ByteWriter()
        w.append(magic)
        w.u32le(version)
        w.u32le(0)
        return w.bytes
    }

    /// Frames a payload as a record.
    static func record(_ payload: [UInt8]) -> [UInt8] {
        var w = ByteWriter()
        w.u32le(UInt32(payload.count))
        w.u32le(CRC32C.checksum(payload))
        w.append(payload)
        return w.bytes
    }

    /// Appends a record to `out` whose payload `body` appends, in place: the
    /// length and checksum are filled in after (no copy of a big payload).
    static func appendRecord(to out: inout [UInt8], _ body: (inout [UInt8]) -> Void) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: recordHeaderSize))
        body(&out)
        let length = out.count - start - recordHeaderSize
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + recordHeaderSize)...])) }
        for i in 0 ..< 4 {
            out[start + i] = UInt8(truncatingIfNeeded: UInt32(length) >> (8 * UInt32(i)))
            out[start + 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i)))
        }
    }

    static func authorPayload(_ a: Author) -> [UInt8] {
        var w = ByteWriter()
        w.bytes.append(RecordType.author.rawValue)
        writeAuthor(a, to: &w)
        return w.bytes
    }

    static func writeAuthor(_ a: Author, to w: inout ByteWriter) {
        w.u64le(a.replica.rawValue)
        w.varint(a.colour)
        let name = Array(a.name.utf8)
        w.varint(name.count)
        w.append(name)
    }

    static func readAuthor(_ r: inout ByteReader) throws(DecodeError) -> Author {
        let id = ReplicaID(try r.u64le("author replica"))
        let colour = try r.count("author colour", atMost: 1 << 16)
        let n = try r.count("author name length", atMost: r.remaining)
        let bytes = Array(try r.take(n, "author name"))
        var sub = ByteReader(bytes, base: r.base + r.offset - n)
        var scalars: [Unicode.Scalar] = []
        while !sub.isAtEnd { scalars += try sub.utf8(count: 1, "author name") }
        return Author(replica: id, name: String(String.UnicodeScalarView(scalars)), colour: colour)
    }

    static func editPayload(time: Int64, ops: [Operation]) -> [UInt8] {
        var w = ByteWriter()
        w.bytes.append(RecordType.edit.rawValue)
        w.zigzag(time)
        w.append(OpCodec.encode(ops))
        return w.bytes
    }

    static func textMarkPayload(_ m: TextMark) -> [UInt8] {
        var w = ByteWriter()
        w.bytes.append(RecordType.textMark.rawValue)
        w.varint(m.length)
        w.u64le(m.hash)
        w.varint(m.edits)
        return w.bytes
    }
}

/// What Weave last wrote to (or read from) the plain-text file: its length in
/// UTF-8 bytes and a 64-bit FNV-1a hash, to notice changes made by other
/// programs, and how many edits of the history it reflects (the version that
/// an outside change branched from).
public struct TextMark: Hashable, Sendable {
    public var length: Int
    public var hash: UInt64
    public var edits: Int

    /// Whether `other` describes the same text.
    public func sameText(as other: TextMark?) -> Bool {
        guard let other else { return false }
        return length == other.length && hash == other.hash
    }

    /// The mark of the text whose UTF-8 is `bytes`: `TextMark(text:)` of it.
    public init(utf8 bytes: [UInt8], edits: Int = 0) {
        self.edits = edits
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        length = bytes.count
        hash = h
    }

    public init(text: String, edits: Int = 0) {
        self.edits = edits
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var n = 0
        for b in text.utf8 {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3
            n += 1
        }
        length = n
        hash = h
    }

    /// `TextMark(text:)` of the text made of `scalars`, hashed from their
    /// UTF-8 a chunk at a time (no `String` of the whole text built).
    public init(scalars: ScalarArray, edits: Int = 0) {
        self.edits = edits
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var n = 0
        scalars.forEachUTF8Chunk { chunk in
            for b in chunk { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
            n += chunk.count
        }
        length = n
        hash = h
    }

    init(length: Int, hash: UInt64, edits: Int) {
        self.length = length
        self.hash = hash
        self.edits = edits
    }
}
