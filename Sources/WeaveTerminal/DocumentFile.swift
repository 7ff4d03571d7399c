#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a text file to edit, and saving it safely.
public enum DocumentFile {
    /// Why a file could not be opened or saved, in words for the user.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The file holds a NUL byte or is not valid UTF-8.
        case notText(path: String, reason: String)
        /// A system call failed.
        case system(call: String, path: String, errno: Int32)

        public var description: String {
            switch self {
            case .notText(let path, let reason):
                return "\(path): not a UTF-8 text file (\(reason)); refusing to edit it"
            case .system(let call, let path, let e):
                return "\(path): \(call) failed: \(String(cString: strerror(e)))"
            }
        }
    }

    /// The text of `path`, or nil when it does not exist (a new file). Throws
    /// `.notText` for binary or non-UTF-8 content and `.system` for other I/O
    /// errors. Never writes. O(file size).
    public static func load(_ path: String) throws(Failure) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .system(call: "open", path: path, errno: errno)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(call: "read", path: path, errno: errno)
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0 ..< n])
        }
        return try decode(bytes, path: path)
    }

    /// `bytes` as text, or `.notText` when they hold a NUL or invalid UTF-8.
    /// O(n).
    public static func decode(_ bytes: [UInt8], path: String) throws(Failure) -> String {
        if let i = bytes.firstIndex(of: 0) {
            throw .notText(path: path, reason: "NUL byte at offset \(i)")
        }
        var scalars = String.UnicodeScalarView()
        var decoder = UTF8()
        var it = bytes.makeIterator()
        var offset = 0
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): scalars.append(s); offset += UTF8.width(s)
            case .emptyInput: break loop
            case .error: throw .notText(path: path, reason: "invalid UTF-8 near byte \(offset)")
            }
        }
        return String(scalars)
    }

    /// Writes `text` to `path` atomically: a temporary file in the same
    /// directory is written, fsynced and renamed over `path`, then the directory
    /// is fsynced. Either the whole new text is in place or (on a throw) the old
    /// file is untouched and the temporary file removed. Keeps the old file's
    /// permission bits. O(text size).
    public static func save(_ text: String, to path: String) throws(Failure) {
        let dir: String
        if let slash = path.lastIndex(of: "/") {
            dir = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            dir = "."
        }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var template = Array("\(dir)/.\(base).weave-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        let tmp = String(cString: template)
        if fd < 0 { throw .system(call: "create temporary file", path: tmp, errno: errno) }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        var st = stat()
        let mode: mode_t = stat(path, &st) == 0 ? st.st_mode & 0o7777 : 0o644
        if fchmod(fd, mode) != 0 { let e = errno; close(fd); throw .system(call: "fchmod", path: tmp, errno: e) }
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno; close(fd)
                throw .system(call: "write", path: tmp, errno: e)
            }
            done += n
        }
        if fsync(fd) != 0 { let e = errno; close(fd); throw .system(call: "fsync", path: tmp, errno: e) }
        if close(fd) != 0 { throw .system(call: "close", path: tmp, errno: errno) }
        if rename(tmp, path) != 0 { throw .system(call: "rename", path: path, errno: errno) }
        ok = true
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)  // best effort: the rename is done; some filesystems refuse
            close(dfd)
        }
    }
}
