/// Little building blocks for Weave's binary formats: LEB128 varints, zigzag,
/// fixed-width integers and strict UTF-8. Readers never trap on bad input: every
/// read either succeeds or throws a `DecodeError` naming the byte offset.

/// Why bytes could not be decoded. Offsets count from the start of the input.
public enum DecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    case badMagic
    case unsupportedVersion(found: Int, supported: Int)
    case truncated(offset: Int, reading: String)
    case varintTooLong(offset: Int)
    case valueOutOfRange(offset: Int, field: String)
    case invalidUTF8(offset: Int)
    case trailingBytes(offset: Int)
    case inconsistent(String)

    public var description: String {
        switch self {
        case .badMagic: return "not Weave data (bad magic number)"
        case .unsupportedVersion(let f, let s): return "format version \(f) is not supported (this Weave reads version \(s))"
        case .truncated(let o, let what): return "data ends at byte \(o) while reading \(what)"
        case .varintTooLong(let o): return "malformed number at byte \(o) (varint longer than 64 bits)"
        case .valueOutOfRange(let o, let f): return "value of \(f) at byte \(o) is out of range"
        case .invalidUTF8(let o): return "invalid UTF-8 at byte \(o)"
        case .trailingBytes(let o): return "unexpected bytes after the end of the data, at byte \(o)"
        case .inconsistent(let s): return "inconsistent data: \(s)"
        }
    }
}

/// Appends encoded values to a byte array.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8] = []
    public init() {}

    @inline(__always)
    public mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always) public mutating func varint(_ v: Int) { varint(UInt64(v)) }
    @inline(__always) public mutating func varint(_ v: UInt32) { varint(UInt64(v)) }

    /// Zigzag-encodes a signed value (small magnitudes stay short).
    @inline(__always)
    public mutating func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    public mutating func u64le(_ v: UInt64) {
        for i in 0 ..< 8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    public mutating func u32le(_ v: UInt32) {
        for i in 0 ..< 4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) }
    }

    public mutating func append<C: Collection>(_ c: C) where C.Element == UInt8 { bytes.append(contentsOf: c) }

    /// Appends the UTF-8 of `scalars`.
    public mutating func utf8<S: Sequence>(_ scalars: S) where S.Element == Unicode.Scalar {
        for s in scalars { UTF8.encode(s) { bytes.append($0) } }
    }
}

/// Reads encoded values from a byte buffer, throwing on any malformation.
///
/// A reader covers `bytes[start ..< end]`: the whole array, or a window of it
/// (`window(_:_:)`, `init(_:range:base:)`) that shares the array's storage, so
/// a record or a section of a big input is read where it lies, never copied.
/// `offset` is an index into `bytes`; error offsets are `base + offset`.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    public var offset: Int
    /// Where `bytes[0]` sits in the larger input, for error offsets (a
    /// window's is set so that `base + offset` counts from the input's start).
    public let base: Int
    /// One past the last byte this reader may read.
    public let end: Int

    public init(_ bytes: [UInt8], base: Int = 0) {
        self.bytes = bytes
        offset = 0
        self.base = base
        end = bytes.count
    }

    /// A reader of `bytes[range]` only, sharing `bytes` (no copy), whose first
    /// byte is at `base` in the larger input. Precondition: `range` lies in
    /// `bytes`. O(1).
    public init(_ bytes: [UInt8], range: Range<Int>, base: Int) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "reader range outside the bytes")
        self.bytes = bytes
        offset = range.lowerBound
        self.base = base - range.lowerBound
        end = range.upperBound
    }

    public var remaining: Int { end - offset }
    public var isAtEnd: Bool { offset == end }
    /// Where the next byte sits in the larger input.
    public var position: Int { base + offset }

    /// A reader of the next `n` bytes, sharing the storage, and this reader
    /// moved past them; throws `truncated` when fewer are left. O(1).
    public mutating func window(_ n: Int, _ what: String) throws(DecodeError) -> ByteReader {
        guard n >= 0, remaining >= n else { throw .truncated(offset: base + end, reading: what) }
        defer { offset += n }
        return ByteReader(bytes, range: offset ..< offset + n, base: base + offset)
    }

    @inline(__always)
    public mutating func byte(_ what: String) throws(DecodeError) -> UInt8 {
        guard offset < end else { throw .truncated(offset: base + offset, reading: what) }
        defer { offset += 1 }
        return bytes[offset]
    }

    @inline(__always)
    public mutating func varint(_ what: String) throws(DecodeError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw .truncated(offset: base + offset, reading: what) }
            let b = bytes[offset]
            offset += 1
            if shift == 63 && b > 1 { throw .varintTooLong(offset: base + start) }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw .varintTooLong(offset: base + start) }
        }
    }

    /// A varint that must fit in `UInt32`.
    @inline(__always)
    public mutating func u32(_ what: String) throws(DecodeError) -> UInt32 {
        let at = offset
        let v = try varint(what)
        guard v <= UInt64(UInt32.max) else { throw .valueOutOfRange(offset: base + at, field: what) }
        return UInt32(v)
    }

    /// A varint used as a count or index, which must be at most `limit`.
    public mutating func count(_ what: String, atMost limit: Int) throws(DecodeError) -> Int {
        let at = offset
        let v = try varint(what)
        guard limit >= 0, v <= UInt64(limit) else { throw .valueOutOfRange(offset: base + at, field: what) }
        return Int(v)
    }

    @inline(__always)
    public mutating func zigzag(_ what: String) throws(DecodeError) -> Int64 {
        let v = try varint(what)
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    public mutating func u64le(_ what: String) throws(DecodeError) -> UInt64 {
        guard remaining >= 8 else { throw .truncated(offset: base + end, reading: what) }
        var v: UInt64 = 0
        for i in 0 ..< 8 { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return v
    }

    public mutating func u32le(_ what: String) throws(DecodeError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated(offset: base + end, reading: what) }
        var v: UInt32 = 0
        for i in 0 ..< 4 { v |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        offset += 4
        return v
    }

    public mutating func take(_ n: Int, _ what: String) throws(DecodeError) -> ArraySlice<UInt8> {
        guard n >= 0, remaining >= n else { throw .truncated(offset: base + end, reading: what) }
        defer { offset += n }
        return bytes[offset ..< offset + n]
    }

    /// Decodes exactly `count` scalars of strict UTF-8 (no overlongs, surrogates
    /// or values above U+10FFFF).
    public mutating func utf8(count: Int, _ what: String) throws(DecodeError) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(min(count, remaining))
        for _ in 0 ..< count {
            let at = offset
            let b0 = try byte(what)
            var v: UInt32
            var extra: Int
            var min: UInt32
            switch b0 {
            case 0x00 ... 0x7f: out.append(Unicode.Scalar(b0)); continue
            case 0xc2 ... 0xdf: v = UInt32(b0 & 0x1f); extra = 1; min = 0x80
            case 0xe0 ... 0xef: v = UInt32(b0 & 0x0f); extra = 2; min = 0x800
            case 0xf0 ... 0xf4: v = UInt32(b0 & 0x07); extra = 3; min = 0x10000
            default: throw .invalidUTF8(offset: base + at)
            }
            for _ in 0 ..< extra {
                guard offset < end else { throw .truncated(offset: base + offset, reading: what) }
                let b = bytes[offset]
                guard b & 0xc0 == 0x80 else { throw .invalidUTF8(offset: base + at) }
                offset += 1
                v = (v << 6) | UInt32(b & 0x3f)
            }
            guard v >= min, let s = Unicode.Scalar(v) else { throw .invalidUTF8(offset: base + at) }
            out.append(s)
        }
        return out
    }
}
