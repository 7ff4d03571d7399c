/// The editor protocol's framing (docs/EDITORS.md): LSP's, a header block
/// ending in an empty line, whose `Content-Length` gives the size of the JSON
/// body that follows.
///
///     Content-Length: 45\r\n
///     \r\n
///     {"jsonrpc":"2.0","method":"close","params":{…}}
///
/// Header lines end in `\r\n` (a bare `\n` is accepted too); other headers
/// (`Content-Type`) are ignored. A body is at most `maxBody` bytes and a
/// header block at most `maxHeader`, checked before buffering, so a broken or
/// hostile editor cannot make the client hold unbounded input.
public struct BridgeFramer {
    /// Why the input cannot be read as frames; the client says it and stops.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case headerTooLong(Int)
        case noContentLength
        case badContentLength(String)
        case bodyTooLarge(Int, limit: Int)

        public var description: String {
            switch self {
            case .headerTooLong(let n): return "a message header of over \(n) bytes (expected Content-Length: N, an empty line, then N bytes of JSON)"
            case .noContentLength: return "a message header without Content-Length"
            case .badContentLength(let v): return "Content-Length is not a size: \(v)"
            case .bodyTooLarge(let n, let limit): return "a message of \(n) bytes, over the limit of \(limit)"
            }
        }
    }

    public static let maxHeader = 1024
    public static let maxBody = 64 << 20

    private var buffer: [UInt8] = []
    private var start = 0
    private var bodyLength: Int?

    public init() {}

    /// Appends input. O(bytes).
    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 { buffer.append(contentsOf: bytes) }

    /// The next complete body, nil when more input is needed. Throws `Failure`
    /// (the stream cannot be resynchronised after it). Amortised O(bytes).
    public mutating func next() throws(Failure) -> [UInt8]? {
        if bodyLength == nil {
            guard let end = headerEnd() else {
                if buffer.count - start > Self.maxHeader { throw .headerTooLong(Self.maxHeader) }
                return nil
            }
            let header = String(decoding: buffer[start ..< end.headerEnd], as: UTF8.self)
            start = end.bodyStart
            var length: Int?
            for line in header.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { continue }
                let value = parts[1].trimmingSpaces
                guard let n = Int(value), n >= 0 else { throw .badContentLength(String(value)) }
                length = n
            }
            guard let length else { throw .noContentLength }
            guard length <= Self.maxBody else { throw .bodyTooLarge(length, limit: Self.maxBody) }
            bodyLength = length
        }
        guard let length = bodyLength, buffer.count - start >= length else { return nil }
        let body = Array(buffer[start ..< start + length])
        start += length
        bodyLength = nil
        if start > 65536 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return body
    }

    /// Where the header block ends (before its empty line) and the body starts.
    private func headerEnd() -> (headerEnd: Int, bodyStart: Int)? {
        var i = start
        let limit = min(buffer.count, start + Self.maxHeader + 4)
        while i < limit {
            if buffer[i] == UInt8(ascii: "\n") {
                if i + 1 < buffer.count && buffer[i + 1] == UInt8(ascii: "\n") { return (i, i + 2) }
                if i + 2 < buffer.count && buffer[i + 1] == UInt8(ascii: "\r") && buffer[i + 2] == UInt8(ascii: "\n") { return (i, i + 3) }
            }
            i += 1
        }
        return nil
    }

    /// `body` framed for the wire.
    public static func frame(_ body: [UInt8]) -> [UInt8] {
        Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return s
    }
}
