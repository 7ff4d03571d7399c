/// How a plain-text file ends its lines. The document (and so the history, the
/// peers and the editor) always holds `\n` alone; the file's own ending is put
/// back when it is written.
public enum LineEnding: String, Sendable, Equatable {
    /// `\n` (and any file that is not wholly CRLF: a mixed file keeps its bytes).
    case lf
    /// `\r\n` on every line: the `\r`s are taken off on reading, put back on writing.
    case crlf

    /// The ending of `text` as read from a file: CRLF when it has at least one
    /// line break and every `\n` follows a `\r`. O(n).
    public static func detect(_ text: String) -> LineEnding {
        var sawNewline = false
        var previous: UInt8 = 0
        for b in text.utf8 {
            if b == 0x0A {
                if previous != 0x0D { return .lf }
                sawNewline = true
            }
            previous = b
        }
        return sawNewline ? .crlf : .lf
    }

    /// `detect` of a file's bytes. O(n).
    public static func detect(utf8 bytes: [UInt8]) -> LineEnding {
        var sawNewline = false
        var previous: UInt8 = 0
        for b in bytes {
            if b == 0x0A {
                if previous != 0x0D { return .lf }
                sawNewline = true
            }
            previous = b
        }
        return sawNewline ? .crlf : .lf
    }

    /// `documentText(fromFile:)` on bytes: `bytes` themselves for LF (no copy). O(n).
    public func documentBytes(fromFile bytes: [UInt8]) -> [UInt8] {
        guard self == .crlf else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var pendingCR = false
        for b in bytes {
            if pendingCR {
                pendingCR = false
                if b != 0x0A { out.append(0x0D) }
            }
            if b == 0x0D { pendingCR = true } else { out.append(b) }
        }
        if pendingCR { out.append(0x0D) }
        return out
    }

    /// The file's text as the document holds it (`\r\n` → `\n` for CRLF). O(n).
    public func documentText(fromFile text: String) -> String {
        guard self == .crlf else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var pendingCR = false
        for b in text.utf8 {
            if pendingCR {
                pendingCR = false
                if b != 0x0A { out.append(0x0D) }
            }
            if b == 0x0D { pendingCR = true } else { out.append(b) }
        }
        if pendingCR { out.append(0x0D) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes to write for the document's `text` (`\n` → `\r\n` for CRLF).
    /// Law: `fileBytes(documentText(fromFile: t)) == t.utf8` for every t whose
    /// `detect` is `.crlf`. O(n).
    public func fileBytes(_ text: String) -> [UInt8] {
        guard self == .crlf else { return Array(text.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + text.utf8.count / 16)
        for b in text.utf8 {
            if b == 0x0A { out.append(0x0D) }
            out.append(b)
        }
        return out
    }
}
