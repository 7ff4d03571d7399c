#if canImport(Glibc)
import Glibc
#endif

/// `ScalarArray` to and from UTF-8: the text as a `String` or as bytes (all at
/// once, appended, or in pieces), compared with bytes, and strict decoding
/// with the offset of the first bad scalar. ASCII takes the fast paths: the
/// storage at 1 byte a scalar is its own UTF-8.
extension ScalarArray {
    // MARK: To UTF-8

    /// The scalars as a `String`. O(n).
    public var string: String {
        let ascii = withUnsafeValues(indices) { raw, w in w == 1 && ScalarArray.countHigh(raw) == 0 }
        if ascii {
            // One copy: the bytes are the UTF-8.
            return withUnsafeValues(indices) { raw, _ in String(decoding: raw, as: UTF8.self) }
        }
        // One copy: the UTF-8 written into the string's own storage.
        let n = utf8Count(indices)
        return String(unsafeUninitializedCapacity: n) { writeUTF8(indices, to: $0) }
    }

    public var description: String { string.debugDescription }

    /// Bytes of the UTF-8 of scalars `r`. O(r.count); O(r.count / 8) for ASCII.
    public func utf8Count(_ r: Range<Int>) -> Int {
        withUnsafeValues(r) { raw, w in
            if w == 1 { return raw.count + ScalarArray.countHigh(raw) }
            var n = 0
            for i in 0 ..< raw.count / w {
                let v = ScalarArray.load(width: w, at: i, in: raw)
                n += v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x1_0000 ? 3 : 4
            }
            return n
        }
    }

    /// Bytes ≥ 0x80 in `raw`, eight at a time.
    static func countHigh(_ raw: UnsafeRawBufferPointer) -> Int {
        var n = 0, i = 0
        let c = raw.count
        while i + 8 <= c {
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080
            if x != 0 { n += x.nonzeroBitCount }
            i += 8
        }
        while i < c { if raw[i] >= 0x80 { n += 1 }; i += 1 }
        return n
    }

    /// Appends the UTF-8 of scalars `r` to `out`. O(r.count); one copy when
    /// they are all ASCII.
    public func appendUTF8(_ r: Range<Int>, to out: inout [UInt8]) {
        let n = utf8Count(r)
        if n == r.count && width == 1 {
            withUnsafeValues(r) { raw, _ in out.append(contentsOf: raw) }
            return
        }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: n))
        out.withUnsafeMutableBufferPointer { o in
            _ = writeUTF8(r, to: UnsafeMutableBufferPointer(rebasing: o[start...]))
        }
    }

    /// Writes the UTF-8 of scalars `r` at the start of `o`, which has room
    /// for `utf8Count(r)` bytes; returns the bytes written. O(r.count).
    func writeUTF8(_ r: Range<Int>, to o: UnsafeMutableBufferPointer<UInt8>) -> Int {
        withUnsafeValues(r) { raw, w in
            var k = 0
            for i in 0 ..< raw.count / w {
                let v = ScalarArray.load(width: w, at: i, in: raw)
                if v < 0x80 {
                    o[k] = UInt8(truncatingIfNeeded: v)
                    k += 1
                } else if v < 0x800 {
                    o[k] = UInt8(truncatingIfNeeded: 0xC0 | v >> 6)
                    o[k + 1] = UInt8(truncatingIfNeeded: 0x80 | v & 0x3F)
                    k += 2
                } else if v < 0x1_0000 {
                    o[k] = UInt8(truncatingIfNeeded: 0xE0 | v >> 12)
                    o[k + 1] = UInt8(truncatingIfNeeded: 0x80 | (v >> 6) & 0x3F)
                    o[k + 2] = UInt8(truncatingIfNeeded: 0x80 | v & 0x3F)
                    k += 3
                } else {
                    o[k] = UInt8(truncatingIfNeeded: 0xF0 | v >> 18)
                    o[k + 1] = UInt8(truncatingIfNeeded: 0x80 | (v >> 12) & 0x3F)
                    o[k + 2] = UInt8(truncatingIfNeeded: 0x80 | (v >> 6) & 0x3F)
                    o[k + 3] = UInt8(truncatingIfNeeded: 0x80 | v & 0x3F)
                    k += 4
                }
            }
            return k
        }
    }

    /// The UTF-8 of scalars `r`. O(r.count).
    public func utf8Bytes(_ r: Range<Int>) -> [UInt8] {
        var out: [UInt8] = []
        appendUTF8(r, to: &out)
        return out
    }

    /// Calls `body` with the UTF-8 of every scalar, in order, in pieces: the
    /// storage itself when it is all ASCII (no copy), else up to 64 KB at a
    /// time encoded into one scratch buffer. For writing a big text out, or
    /// comparing it with bytes, without a `String` of it. O(n).
    public func forEachUTF8Chunk(_ body: (UnsafeRawBufferPointer) -> Void) {
        let ascii = withUnsafeValues(indices) { raw, w in w == 1 && ScalarArray.countHigh(raw) == 0 }
        if ascii {
            withUnsafeValues(indices) { raw, _ in if !raw.isEmpty { body(raw) } }
            return
        }
        let step = 1 << 14  // scalars per piece: at most 64 KB of UTF-8
        var scratch = [UInt8](repeating: 0, count: 4 * step)
        var i = 0
        while i < count {
            let r = i ..< Swift.min(count, i + step)
            let n = scratch.withUnsafeMutableBufferPointer { writeUTF8(r, to: $0) }
            scratch.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0 ..< n])) }
            i = r.upperBound
        }
    }

    /// Whether the UTF-8 of these scalars is exactly `bytes`, byte for byte
    /// (no Unicode equivalence). O(n) and no copy when ASCII; one 64 KB
    /// scratch buffer otherwise.
    public func equalsUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if utf8Count(indices) != bytes.count { return false }
        var at = 0, same = true
        forEachUTF8Chunk { piece in
            guard same else { return }
            if memcmp(piece.baseAddress!, bytes.baseAddress! + at, piece.count) != 0 { same = false }
            at += piece.count
        }
        return same
    }

    // MARK: From UTF-8

    /// Decodes strict UTF-8 (no overlongs, surrogates or values above
    /// U+10FFFF). ASCII input is shared, not copied; otherwise one pass to
    /// check and measure and one to decode at the narrowest width. Throws
    /// `invalidUTF8` naming the offset where the first bad scalar starts. O(n).
    public static func decoding(utf8 bytes: [UInt8]) throws(DecodeError) -> ScalarArray {
        let measured = bytes.withUnsafeBytes { raw in Result { () throws(DecodeError) in try measureUTF8(raw) } }
        let (count, widest) = try measured.get()
        if count == bytes.count { return ScalarArray(latin1: bytes) }
        return bytes.withUnsafeBytes { decodeMeasured($0, count: count, widest: widest) }
    }

    /// `decoding(utf8:)` of bytes that lie in a larger buffer (a section of
    /// a history record): the scalars in storage of their own, one copy of
    /// the bytes for ASCII, else decoded straight at the narrowest width.
    /// Throws `invalidUTF8` naming the offset in `src`. O(n).
    public static func decoding(utf8 src: UnsafeRawBufferPointer) throws(DecodeError) -> ScalarArray {
        let (count, widest) = try measureUTF8(src)
        if count == src.count { return ScalarArray(latin1: [UInt8](src)) }
        return decodeMeasured(src, count: count, widest: widest)
    }

    /// Decodes UTF-8 already checked by `measureUTF8` (which gave `count`
    /// and `widest`). O(n).
    private static func decodeMeasured(_ src: UnsafeRawBufferPointer, count: Int, widest: UInt32) -> ScalarArray {
        let w = width(for: widest)
        var out = [UInt8](repeating: 0, count: count * w)
        out.withUnsafeMutableBytes { dst in
            var i = 0, k = 0
            let n = src.count
            while i < n {
                let b0 = src[i]
                if b0 < 0x80 {
                    store(UInt32(b0), width: w, at: k, in: dst)
                    i += 1
                } else if b0 < 0xe0 {
                    store(UInt32(b0 & 0x1f) << 6 | UInt32(src[i + 1] & 0x3f), width: w, at: k, in: dst)
                    i += 2
                } else if b0 < 0xf0 {
                    store(UInt32(b0 & 0x0f) << 12 | UInt32(src[i + 1] & 0x3f) << 6 | UInt32(src[i + 2] & 0x3f),
                          width: w, at: k, in: dst)
                    i += 3
                } else {
                    store(UInt32(b0 & 0x07) << 18 | UInt32(src[i + 1] & 0x3f) << 12 | UInt32(src[i + 2] & 0x3f) << 6
                          | UInt32(src[i + 3] & 0x3f), width: w, at: k, in: dst)
                    i += 4
                }
                k += 1
            }
        }
        return ScalarArray(storage: out, width: w)
    }

    /// Checks that `bytes` are strict UTF-8 (as `decoding(utf8:)` does), or
    /// throws `invalidUTF8` naming the offset of the first bad scalar. O(n),
    /// ASCII eight bytes at a time.
    public static func validateUTF8(_ bytes: [UInt8]) throws(DecodeError) {
        let measured = bytes.withUnsafeBytes { raw in Result { () throws(DecodeError) in try measureUTF8(raw) } }
        _ = try measured.get()
    }

    /// Checks strict UTF-8 and returns the number of scalars and the OR of
    /// their values (enough for the width). ASCII goes eight bytes at a time.
    static func measureUTF8(_ src: UnsafeRawBufferPointer) throws(DecodeError) -> (count: Int, widest: UInt32) {
        var i = 0, count = 0
        var widest: UInt32 = 0
        let n = src.count
        while i < n {
            if i + 8 <= n, src.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                count += 8
                continue
            }
            let b0 = src[i]
            if b0 < 0x80 {
                i += 1
                count += 1
                continue
            }
            let extra: Int, minimum: UInt32
            var v: UInt32
            switch b0 {
            case 0xc2 ... 0xdf: v = UInt32(b0 & 0x1f); extra = 1; minimum = 0x80
            case 0xe0 ... 0xef: v = UInt32(b0 & 0x0f); extra = 2; minimum = 0x800
            case 0xf0 ... 0xf4: v = UInt32(b0 & 0x07); extra = 3; minimum = 0x1_0000
            default: throw .invalidUTF8(offset: i)
            }
            guard n - i > extra else { throw .invalidUTF8(offset: i) }
            for k in 1 ... extra {
                let b = src[i + k]
                guard b & 0xc0 == 0x80 else { throw .invalidUTF8(offset: i) }
                v = v << 6 | UInt32(b & 0x3f)
            }
            guard v >= minimum, v <= 0x10_FFFF, !(0xD800 ... 0xDFFF).contains(v) else { throw .invalidUTF8(offset: i) }
            widest |= v
            i += extra + 1
            count += 1
        }
        return (count, widest)
    }
}
