/// A reader of trace JSON (see the traces' README) straight from its bytes
/// into `EditingTrace`'s values: no Foundation objects. JSONSerialization
/// made a dictionary, an array and boxed numbers and strings for every
/// transaction and patch, about 4 KB a transaction on Linux, so importing
/// automerge-paper (259,778 transactions, 16 MB of JSON) peaked above 1 GB.
///
/// It reads the JSON grammar strictly (RFC 8259: objects, arrays, strings with
/// every escape, numbers, true, false, null); keys it does not know are
/// skipped whatever their value. Numbers the trace needs as counts must be
/// integers. Throws `TraceJSON.Failure` naming the byte offset. O(input size);
/// memory: the values it returns.
struct TraceJSON {
    struct Failure: Error, CustomStringConvertible {
        var offset: Int
        var reason: String
        var description: String { "\(reason) at byte \(offset)" }
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func fail(_ reason: String) -> Failure { Failure(offset: at, reason: reason) }

    mutating func skipSpace() {
        while at < bytes.count {
            switch bytes[at] {
            case 0x20, 0x09, 0x0A, 0x0D: at += 1
            default: return
            }
        }
    }

    /// The next byte after white space, not consumed; nil at the end.
    mutating func peek() -> UInt8? {
        skipSpace()
        return at < bytes.count ? bytes[at] : nil
    }

    mutating func expect(_ b: UInt8) throws(Failure) {
        guard peek() == b else { throw fail("expected '\(Character(Unicode.Scalar(b)))'") }
        at += 1
    }

    /// Reads an object, calling `field` with each key; `field` must read the value.
    mutating func object(_ field: (inout TraceJSON, String) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "{"))
        if peek() == UInt8(ascii: "}") { at += 1; return }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a key") }
            // A plain key (all of a trace's) from its bytes: a small string, no allocation.
            let key: String
            if let r = plainString() {
                key = String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self)
            } else {
                key = String(String.UnicodeScalarView(try scalars()))
            }
            try expect(UInt8(ascii: ":"))
            try field(&self, key)
            switch peek() {
            case UInt8(ascii: ","): at += 1
            case UInt8(ascii: "}"): at += 1; return
            default: throw fail("expected ',' or '}'")
            }
        }
    }

    /// Reads an array, calling `element` with each index; `element` must read the value.
    mutating func array(_ element: (inout TraceJSON, Int) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "["))
        if peek() == UInt8(ascii: "]") { at += 1; return }
        var i = 0
        while true {
            try element(&self, i)
            i += 1
            switch peek() {
            case UInt8(ascii: ","): at += 1
            case UInt8(ascii: "]"): at += 1; return
            default: throw fail("expected ',' or ']'")
            }
        }
    }

    /// Whether the next value is a string (not consumed).
    mutating func isString() -> Bool { peek() == UInt8(ascii: "\"") }

    /// A string's scalars, escapes decoded (surrogate pairs joined; a lone
    /// surrogate is an error).
    mutating func scalars() throws(Failure) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        try string { out.append($0) }
        return out
    }

    /// Reads a string, passing each of its scalars (escapes decoded) to `emit`.
    @inline(__always)
    mutating func string(_ emit: (Unicode.Scalar) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "\""))
        while true {
            guard at < bytes.count else { throw fail("unterminated string") }
            let b = bytes[at]
            if b == UInt8(ascii: "\"") { at += 1; return }
            if b < 0x20 { throw fail("control character in a string") }
            if b == UInt8(ascii: "\\") {
                at += 1
                guard at < bytes.count else { throw fail("unterminated string") }
                let e = bytes[at]
                at += 1
                switch e {
                case UInt8(ascii: "\""): emit("\"")
                case UInt8(ascii: "\\"): emit("\\")
                case UInt8(ascii: "/"): emit("/")
                case UInt8(ascii: "b"): emit("\u{08}")
                case UInt8(ascii: "f"): emit("\u{0C}")
                case UInt8(ascii: "n"): emit("\n")
                case UInt8(ascii: "r"): emit("\r")
                case UInt8(ascii: "t"): emit("\t")
                case UInt8(ascii: "u"):
                    var v = try hex4()
                    if (0xD800 ..< 0xDC00).contains(v) {
                        guard at + 1 < bytes.count, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else {
                            throw fail("lone surrogate in a \\u escape")
                        }
                        at += 2
                        let low = try hex4()
                        guard (0xDC00 ..< 0xE000).contains(low) else { throw fail("lone surrogate in a \\u escape") }
                        v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let s = Unicode.Scalar(v) else { throw fail("lone surrogate in a \\u escape") }
                    emit(s)
                default:
                    at -= 1
                    throw fail("unknown escape")
                }
                continue
            }
            // UTF-8, strictly.
            let start = at
            var v: UInt32, extra: Int, minimum: UInt32
            switch b {
            case 0x00 ... 0x7F: emit(Unicode.Scalar(b)); at += 1; continue
            case 0xC2 ... 0xDF: v = UInt32(b & 0x1F); extra = 1; minimum = 0x80
            case 0xE0 ... 0xEF: v = UInt32(b & 0x0F); extra = 2; minimum = 0x800
            case 0xF0 ... 0xF4: v = UInt32(b & 0x07); extra = 3; minimum = 0x10000
            default: throw fail("invalid UTF-8")
            }
            guard bytes.count - at > extra else { throw fail("invalid UTF-8") }
            for k in 1 ... extra {
                let c = bytes[start + k]
                guard c & 0xC0 == 0x80 else { throw fail("invalid UTF-8") }
                v = v << 6 | UInt32(c & 0x3F)
            }
            guard v >= minimum, let s = Unicode.Scalar(v) else { throw fail("invalid UTF-8") }
            emit(s)
            at += extra + 1
        }
    }

    mutating func hex4() throws(Failure) -> UInt32 {
        guard bytes.count - at >= 4 else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0 ..< 4 {
            let c = bytes[at]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a") ... UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A") ... UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw fail("bad \\u escape")
            }
            v = v << 4 | UInt32(d)
            at += 1
        }
        return v
    }

    /// A string value, or nil (read and dropped) for any other value.
    mutating func stringOrSkip() throws(Failure) -> String? {
        guard isString() else { try skip(); return nil }
        // Most strings (a transaction's time, an author's name) are plain
        // ASCII with no escape: made straight from their bytes, without a
        // scalar array (this was 40 % of importing automerge-paper).
        if let r = plainString() { return String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self) }
        return String(String.UnicodeScalarView(try scalars()))
    }

    /// When the next value is a string of printable ASCII without escapes,
    /// reads it and returns the range of its bytes (quotes excluded);
    /// otherwise reads nothing and returns nil. O(its length).
    mutating func plainString() -> Range<Int>? {
        guard isString() else { return nil }
        var end = at + 1
        while end < bytes.count {
            let b = bytes[end]
            guard b >= 0x20, b < 0x80, b != UInt8(ascii: "\\") else { return nil }
            if b == UInt8(ascii: "\"") {
                defer { at = end + 1 }
                return (at + 1) ..< end
            }
            end += 1
        }
        return nil
    }

    /// An integer value, or nil (read and dropped) for any other value,
    /// including numbers with a fraction or an exponent and integers beyond Int.
    mutating func intOrSkip() throws(Failure) -> Int? {
        guard let b = peek(), b == UInt8(ascii: "-") || (b >= 0x30 && b <= 0x39) else { try skip(); return nil }
        let start = at
        try number()
        var i = start, negative = false
        if bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var v = 0
        while i < at {
            let c = bytes[i]
            guard c >= 0x30 && c <= 0x39 else { return nil }  // a fraction or an exponent
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int(c - 0x30))
            if o1 || o2 { return nil }
            v = s
            i += 1
        }
        return negative ? -v : v
    }

    /// Reads a number (RFC 8259's grammar).
    mutating func number() throws(Failure) {
        _ = peek()
        func digits(_ j: inout TraceJSON) -> Int {
            var n = 0
            while j.at < j.bytes.count, j.bytes[j.at] >= 0x30, j.bytes[j.at] <= 0x39 { j.at += 1; n += 1 }
            return n
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
        guard at < bytes.count, bytes[at] >= 0x30, bytes[at] <= 0x39 else { throw fail("bad number") }
        if bytes[at] == 0x30 { at += 1 } else { _ = digits(&self) }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            at += 1
            guard digits(&self) > 0 else { throw fail("bad number") }
        }
        if at < bytes.count, bytes[at] | 0x20 == UInt8(ascii: "e") {
            at += 1
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits(&self) > 0 else { throw fail("bad number") }
        }
    }

    /// Reads and drops any value.
    mutating func skip() throws(Failure) {
        guard let b = peek() else { throw fail("expected a value") }
        switch b {
        case UInt8(ascii: "{"):
            // As `object`, without making the keys.
            try expect(UInt8(ascii: "{"))
            if peek() == UInt8(ascii: "}") { at += 1; return }
            while true {
                guard peek() == UInt8(ascii: "\"") else { throw fail("expected a key") }
                try string { _ in }
                try expect(UInt8(ascii: ":"))
                try skip()
                switch peek() {
                case UInt8(ascii: ","): at += 1
                case UInt8(ascii: "}"): at += 1; return
                default: throw fail("expected ',' or '}'")
                }
            }
        case UInt8(ascii: "["): try array { j, _ throws(Failure) in try j.skip() }
        case UInt8(ascii: "\""): try string { _ in }
        case UInt8(ascii: "t"): try word("true")
        case UInt8(ascii: "f"): try word("false")
        case UInt8(ascii: "n"): try word("null")
        default: try number()
        }
    }

    mutating func word(_ w: StaticString) throws(Failure) {
        let n = w.utf8CodeUnitCount
        guard bytes.count - at >= n else { throw fail("expected a value") }
        for k in 0 ..< n where bytes[at + k] != w.utf8Start[k] { throw fail("expected a value") }
        at += n
    }

    /// Checks that only white space is left.
    mutating func end() throws(Failure) {
        if peek() != nil { throw fail("unexpected bytes after the JSON value") }
    }
}
