#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOConcurrencyHelpers

/// A swift-log handler writing one structured line per event to a file:
///
///     ts=2025-01-02T03:04:05.678Z level=info label=weave.peer msg="handshake done" peer=3f2a… name=ana
///
/// Keys are sorted; values with spaces, quotes or `=` are quoted with `\"`
/// escapes. Lines from all threads are appended whole (one `write` under a lock).
///
/// With `.json` each line is one JSON object instead (JSON lines, for log
/// collectors): `{"ts":"…","level":"info","label":"weave.serve","msg":"handshake done","name":"ana"}`,
/// the same keys in the same order, every value a string.
public struct KeyValueLogHandler: LogHandler {
    public enum Format: Sendable { case keyValue, json }
    /// An open log file shared by the loggers that write to it.
    public final class File: Sendable {
        let fd: Int32
        private let lock = NIOLock()

        /// Opens `path` for appending, creating it (0644). Throws `PeerError.io`.
        public init(path: String) throws {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw PeerError.io("\(path): cannot open log file: \(String(cString: strerror(errno)))") }
            self.fd = fd
        }

        deinit { close(fd) }

        func write(_ line: String) {
            var bytes = Array(line.utf8)
            bytes.append(0x0A)
            lock.withLock {
                var done = 0
                while done < bytes.count {
                    let n = bytes[done...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
                    if n < 0 { if errno == EINTR { continue }; return }
                    done += n
                }
            }
        }
    }

    public let label: String
    public let file: File
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var format: Format

    public init(label: String, file: File, format: Format = .keyValue) {
        self.label = label
        self.file = file
        self.format = format
    }

    /// A logger writing to `file`.
    public static func logger(label: String, file: File, level: Logger.Level = .info, format: Format = .keyValue) -> Logger {
        var logger = Logger(label: label) { KeyValueLogHandler(label: $0, file: file, format: format) }
        logger.logLevel = level
        return logger
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line for `event`: this handler's metadata, then the
    /// provider's, then the event's (a later one wins a key), and the event's
    /// error under `error` unless the metadata has that key. One `write` per line.
    public func log(event: LogEvent) {
        let (level, message) = (event.level, event.message)
        var all = self.metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let explicit = event.metadata { all.merge(explicit) { $1 } }
        if let error = event.error, all["error"] == nil { all["error"] = "\(error)" }
        if format == .json {
            var out = "{\"ts\":\(Self.json(Self.timestamp())),\"level\":\(Self.json("\(level)")),\"label\":\(Self.json(label)),\"msg\":\(Self.json(message.description))"
            for (k, v) in all.sorted(by: { $0.key < $1.key }) where !["ts", "level", "label", "msg"].contains(k) {
                out += ",\(Self.json(k)):\(Self.json(v.description))"
            }
            self.file.write(out + "}")
            return
        }
        var out = "ts=\(KeyValueLogHandler.timestamp()) level=\(level) label=\(KeyValueLogHandler.quote(label)) msg=\(KeyValueLogHandler.quote(message.description))"
        for (k, v) in all.sorted(by: { $0.key < $1.key }) {
            out += " \(k)=\(KeyValueLogHandler.quote(v.description))"
        }
        self.file.write(out)
    }

    /// `s` as a JSON string (RFC 8259 escapes; other characters as they are, in UTF-8).
    static func json(_ s: String) -> String {
        quoted(s, carriageReturn: "\\r") { code in
            let hex = String(code, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
    }

    /// `s`, quoted when it is empty or holds a space, quote, `=` or control character.
    static func quote(_ s: String) -> String {
        let plain = !s.isEmpty && s.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0 != "\\" && $0.value != 0x7F }
        if plain { return s }
        return quoted(s, carriageReturn: nil) { "\\u{\(String($0, radix: 16))}" }
    }

    /// `s` between double quotes with `"`, `\`, newline and tab escaped (and
    /// carriage return when `carriageReturn` is given); other control
    /// characters and DEL as `control` writes their code. O(s).
    private static func quoted(_ s: String, carriageReturn: String?, control: (UInt32) -> String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r" where carriageReturn != nil: out += carriageReturn!
            default:
                if c.value < 0x20 || c.value == 0x7F { out += control(c.value) } else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }

    /// UTC time, ISO 8601 with milliseconds.
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = time_t(ts.tv_sec)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(ts.tv_nsec / 1_000_000), 3))Z"
    }
}

/// `write(2)`, named apart from `File.write`.
@inline(__always)
private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer?, _ n: Int) -> Int { write(fd, p, n) }
