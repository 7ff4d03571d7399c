#if canImport(Glibc)
import Glibc
#endif

/// An array of Unicode scalars stored at 1, 2 or 4 bytes each: the narrowest
/// width that holds every scalar it has held (1 byte for U+0000…U+00FF, 2 for
/// the rest of the Basic Multilingual Plane, 4 above). A 50 MB ASCII file is 50 MB
/// here, where `[Unicode.Scalar]` takes 200 MB.
///
/// The width only grows: putting in a wider scalar re-encodes the whole array
/// once (O(n)), and taking it out again does not narrow it. Storage is one
/// `[UInt8]`, copy-on-write like any array, so a buffer made from a file's
/// bytes (`init(latin1:)`, `decoding(utf8:)` of ASCII) shares them.
///
/// Laws (checked against `[Unicode.Scalar]` by `ScalarArrayTests`): every
/// operation gives the scalars the same operation gives on an array; two
/// values are equal exactly when their scalars are, whatever their widths.
public struct ScalarArray: RandomAccessCollection, RangeReplaceableCollection, Hashable, Sendable,
    CustomStringConvertible {
    public typealias Index = Int
    public typealias Element = Unicode.Scalar
    public typealias SubSequence = Slice<ScalarArray>
    public typealias Indices = Range<Int>

    /// The scalars, `width` little-endian bytes each.
    @usableFromInline var bytes: [UInt8]
    /// Bytes per scalar: 1, 2 or 4.
    public private(set) var width: Int

    /// An empty array (1 byte per scalar until a wider one arrives).
    public init() {
        bytes = []
        width = 1
    }

    /// The scalars U+0000…U+00FF given by `latin1`, one per byte, sharing its
    /// storage (no copy). O(1).
    public init(latin1: [UInt8]) {
        bytes = latin1
        width = 1
    }

    /// The scalars of `s`, at the narrowest width that holds them. O(n).
    public init<S: Sequence>(_ s: S) where S.Element == Unicode.Scalar {
        let a = Array(s)
        let w = ScalarArray.width(of: a)
        var b = [UInt8](repeating: 0, count: a.count * w)
        b.withUnsafeMutableBytes { out in
            for (i, u) in a.enumerated() { ScalarArray.store(u.value, width: w, at: i, in: out) }
        }
        bytes = b
        width = w
    }

    /// The scalars of `s`.
    public init(_ s: String) { self.init(s.unicodeScalars) }

    // MARK: Width

    /// The width that holds `value`.
    @usableFromInline @inline(__always)
    static func width(for value: UInt32) -> Int { value < 0x100 ? 1 : value < 0x1_0000 ? 2 : 4 }

    static func width<C: Collection>(of c: C) -> Int where C.Element == Unicode.Scalar {
        var m: UInt32 = 0
        for u in c { m |= u.value }
        return width(for: m)
    }

    @inline(__always)
    static func store(_ v: UInt32, width w: Int, at i: Int, in out: UnsafeMutableRawBufferPointer) {
        switch w {
        case 1: out[i] = UInt8(truncatingIfNeeded: v)
        case 2: out.storeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
        default: out.storeBytes(of: v.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
        }
    }

    @inlinable @inline(__always)
    static func load(width w: Int, at i: Int, in raw: UnsafeRawBufferPointer) -> UInt32 {
        switch w {
        case 1: return UInt32(raw[i])
        case 2: return UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        default: return UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
        }
    }

    /// Re-encodes every scalar at width `w` (> `width`). O(n).
    mutating func widen(to w: Int) {
        guard w > width else { return }
        let n = count, old = width
        var b = [UInt8](repeating: 0, count: n * w)
        bytes.withUnsafeBytes { src in
            b.withUnsafeMutableBytes { dst in
                for i in 0 ..< n { ScalarArray.store(ScalarArray.load(width: old, at: i, in: src), width: w, at: i, in: dst) }
            }
        }
        bytes = b
        width = w
    }

    // MARK: Collection

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { bytes.count / width }
    @inlinable public var count: Int { bytes.count / width }
    @inlinable public var isEmpty: Bool { bytes.isEmpty }
    @inlinable public var indices: Range<Int> { 0 ..< count }
    @inlinable public func index(after i: Int) -> Int { i + 1 }
    @inlinable public func index(before i: Int) -> Int { i - 1 }
    @inlinable public func index(_ i: Int, offsetBy n: Int) -> Int { i + n }
    @inlinable public func distance(from a: Int, to b: Int) -> Int { b - a }

    /// The scalar at `i`. O(1).
    @inlinable
    public subscript(i: Int) -> Unicode.Scalar {
        precondition(i >= 0 && i < count, "scalar index \(i) outside 0..<\(count)")
        let w = width
        let v = bytes.withUnsafeBytes { ScalarArray.load(width: w, at: i, in: $0) }
        // Only valid scalars are ever stored.
        return unsafeBitCast(v, to: Unicode.Scalar.self)
    }

    public subscript(r: Range<Int>) -> Slice<ScalarArray> {
        precondition(r.lowerBound >= 0 && r.upperBound <= count, "scalar range \(r) outside 0..<\(count)")
        return Slice(base: self, bounds: r)
    }

    /// The scalar values `r`, in order, to `body` as one buffer of the
    /// current width (no copy). O(1) plus `body`.
    public func withUnsafeValues<R>(_ r: Range<Int>, _ body: (_ bytes: UnsafeRawBufferPointer, _ width: Int) throws -> R) rethrows -> R {
        precondition(r.lowerBound >= 0 && r.upperBound <= count, "scalar range \(r) outside 0..<\(count)")
        let w = width
        return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[r.lowerBound * w ..< r.upperBound * w]), w) }
    }

    /// Scalars `r` as an array. O(r.count).
    public func array(_ r: Range<Int>) -> [Unicode.Scalar] {
        withUnsafeValues(r) { raw, w in
            [Unicode.Scalar](unsafeUninitializedCapacity: r.count) { out, n in
                for i in 0 ..< r.count { out[i] = unsafeBitCast(ScalarArray.load(width: w, at: i, in: raw), to: Unicode.Scalar.self) }
                n = r.count
            }
        }
    }

    // MARK: Changing

    public mutating func reserveCapacity(_ n: Int) { bytes.reserveCapacity(n * width) }

    /// Room for `n` scalars in all, doubling when it grows (amortised appends). O(n) when it grows.
    mutating func reserveAmortised(_ n: Int) {
        let need = n * width
        if bytes.capacity < need { bytes.reserveCapacity(Swift.max(need, 2 * bytes.capacity)) }
    }

    /// Appends one scalar. Amortised O(1) (O(n) once per widening).
    @inlinable
    public mutating func append(_ u: Unicode.Scalar) {
        let v = u.value
        if v < 0x100 && width == 1 {
            bytes.append(UInt8(truncatingIfNeeded: v))
        } else {
            appendSlow(v)
        }
    }

    @usableFromInline
    mutating func appendSlow(_ v: UInt32) {
        widen(to: ScalarArray.width(for: v))
        switch width {
        case 1: bytes.append(UInt8(truncatingIfNeeded: v))
        case 2:
            bytes.append(UInt8(truncatingIfNeeded: v))
            bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        default:
            bytes.append(UInt8(truncatingIfNeeded: v))
            bytes.append(UInt8(truncatingIfNeeded: v >> 8))
            bytes.append(UInt8(truncatingIfNeeded: v >> 16))
            bytes.append(UInt8(truncatingIfNeeded: v >> 24))
        }
    }

    /// Appends `scalars`. Amortised O(scalars.count).
    public mutating func append(contentsOf scalars: [Unicode.Scalar]) {
        scalars.withUnsafeBufferPointer { appendValues($0) }
    }

    public mutating func append<S: Sequence>(contentsOf s: S) where S.Element == Unicode.Scalar {
        if let a = s as? [Unicode.Scalar] { return append(contentsOf: a) }
        if let other = s as? ScalarArray { return append(contentsOf: other, other.indices) }
        if let slice = s as? Slice<ScalarArray> { return append(contentsOf: slice.base, slice.startIndex ..< slice.endIndex) }
        append(contentsOf: Array(s))
    }

    /// Appends scalars `r` of `other`. Amortised O(r.count); a copy of the
    /// bytes when both have the same width.
    public mutating func append(contentsOf other: ScalarArray, _ r: Range<Int>) {
        guard !r.isEmpty else { return }
        if isEmpty && r == other.indices && other.width >= width {
            // Take `other`'s storage, shared (a file's text into an empty log).
            self = other
            return
        }
        if other.width > width {
            // Widen only as far as the appended scalars need.
            let need = other.withUnsafeValues(r) { raw, w in
                var m: UInt32 = 0
                for i in 0 ..< raw.count / w { m |= ScalarArray.load(width: w, at: i, in: raw) }
                return ScalarArray.width(for: m)
            }
            widen(to: need)
        }
        let w = width
        other.withUnsafeValues(r) { raw, ow in
            if ow == w {
                bytes.append(contentsOf: raw)
            } else {
                let start = bytes.count, n = raw.count / ow
                bytes.append(contentsOf: repeatElement(0, count: n * w))
                bytes.withUnsafeMutableBytes { out in
                    let dst = UnsafeMutableRawBufferPointer(rebasing: out[start...])
                    for i in 0 ..< n { ScalarArray.store(ScalarArray.load(width: ow, at: i, in: raw), width: w, at: i, in: dst) }
                }
            }
        }
    }

    mutating func appendValues(_ a: UnsafeBufferPointer<Unicode.Scalar>) {
        guard !a.isEmpty else { return }
        var m: UInt32 = 0
        for u in a { m |= u.value }
        widen(to: ScalarArray.width(for: m))
        let w = width, start = bytes.count
        if w == 1 {
            // No reserveCapacity(start + count) here: it grows to exactly that,
            // so a run of small appends would copy the whole array each time.
            for u in a { bytes.append(UInt8(truncatingIfNeeded: u.value)) }
            return
        }
        bytes.append(contentsOf: repeatElement(0, count: a.count * w))
        bytes.withUnsafeMutableBytes { out in
            let dst = UnsafeMutableRawBufferPointer(rebasing: out[start...])
            for i in 0 ..< a.count { ScalarArray.store(a[i].value, width: w, at: i, in: dst) }
        }
    }

    public mutating func replaceSubrange<C: Collection>(_ r: Range<Int>, with c: C) where C.Element == Unicode.Scalar {
        precondition(r.lowerBound >= 0 && r.upperBound <= count, "scalar range \(r) outside 0..<\(count)")
        let new = ScalarArray(c)
        widen(to: new.width)
        let w = width
        let encoded = new.width == w ? new.bytes : { var x = new; x.widen(to: w); return x.bytes }()
        bytes.replaceSubrange(r.lowerBound * w ..< r.upperBound * w, with: encoded)
    }

    public mutating func removeAll(keepingCapacity keep: Bool = false) {
        bytes.removeAll(keepingCapacity: keep)
        if !keep { width = 1 }
    }

    // MARK: Equality, text

    public static func == (a: ScalarArray, b: ScalarArray) -> Bool {
        if a.width == b.width { return a.bytes == b.bytes }
        return a.count == b.count && a.elementsEqual(b)
    }

    public static func == (a: ScalarArray, b: [Unicode.Scalar]) -> Bool { a.count == b.count && a.elementsEqual(b) }
    public static func == (a: [Unicode.Scalar], b: ScalarArray) -> Bool { b == a }
    public static func != (a: ScalarArray, b: [Unicode.Scalar]) -> Bool { !(a == b) }
    public static func != (a: [Unicode.Scalar], b: ScalarArray) -> Bool { !(b == a) }

    public func hash(into h: inout Hasher) {
        h.combine(count)
        for u in self { h.combine(u.value) }
    }

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

    /// Calls `body` with the index of every `"\n"`, in order. O(n); a
    /// `memchr` scan at 1 byte a scalar.
    public func forEachNewline(_ body: (Int) -> Void) {
        withUnsafeValues(indices) { raw, w in
            guard let base = raw.baseAddress else { return }
            if w == 1 {
                var p = base
                let end = base + raw.count
                while p < end, let hit = memchr(p, 0x0A, end - p) {
                    let at = base.distance(to: UnsafeRawPointer(hit))
                    body(at)
                    p = base + at + 1
                }
                return
            }
            for i in 0 ..< raw.count / w where ScalarArray.load(width: w, at: i, in: raw) == 0x0A { body(i) }
        }
    }

    /// Heap bytes held (capacity, not count), for memory accounting.
    var capacityBytes: Int { bytes.capacity }
    var usedBytes: Int { bytes.count }

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
        var a = ScalarArray(latin1: out)
        a.width = w
        return a
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
