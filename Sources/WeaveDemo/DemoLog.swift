#if canImport(Glibc)
import Glibc
#endif

/// The demo's step log (`weave demo --log FILE`): one line per step, appended
/// and written through at once, so a test (or a curious viewer) can follow the
/// script from another process while it runs.
final class DemoLog {
    private let fd: Int32

    /// Opens (creates, truncates) `path`. Throws `DemoLog.Failure` with the
    /// system's reason when it cannot.
    init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
    }

    deinit { close(fd) }

    /// Appends `line` and a newline with one `write` (lines never interleave).
    func write(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    struct Failure: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "cannot write the demo log \(path): \(reason)" }
    }
}
