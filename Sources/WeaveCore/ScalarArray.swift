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

    /// The scalars stored in `storage` at `width` bytes each (little-endian),
    /// which must hold no scalar narrower storage could not. O(1), no copy.
    init(storage: [UInt8], width: Int) {
        bytes = storage
        self.width = width
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

    // MARK: Equality, hashing

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
}
