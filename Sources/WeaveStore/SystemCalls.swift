#if canImport(Glibc)
import Glibc
#endif

/// The system calls `FileIO` and `PosixFileSystem` are made of: the seam below
/// the store's real write code, so that a test can run `FileIO.writeAtomically`
/// and the history's flush unchanged on a simulated disk that loses power
/// between any two calls (`Tests/WeaveStoreTests/PowerCutDisk.swift`).
///
/// Each method does what the POSIX call of its name does: it returns what that
/// call returns and, on failure, sets `errno`. EINTR and short writes are the
/// caller's (`FileIO`) to handle.
protocol SystemCalls: Sendable {
    func open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32
    func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int
    func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int
    func fsync(_ fd: Int32) -> Int32
    func ftruncate(_ fd: Int32, _ length: off_t) -> Int32
    func close(_ fd: Int32) -> Int32
    func rename(_ from: String, _ to: String) -> Int32
    func unlink(_ path: String) -> Int32
    func stat(_ path: String, _ st: inout stat) -> Int32
    func fstat(_ fd: Int32, _ st: inout stat) -> Int32
    func fchmod(_ fd: Int32, _ mode: mode_t) -> Int32
    func fchown(_ fd: Int32, _ owner: uid_t, _ group: gid_t) -> Int32
    /// The target of the symbolic link `path` in `buffer`; its length, or -1.
    func readlink(_ path: String, _ buffer: UnsafeMutableBufferPointer<CChar>) -> Int
    /// `flock(fd, LOCK_EX | LOCK_NB)`.
    func lockExclusive(_ fd: Int32) -> Int32
}

/// The kernel's own calls.
struct PosixCalls: SystemCalls {
    static let shared = PosixCalls()

    func open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Glibc.open(path, flags, mode) }
    func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int { Glibc.write(fd, buffer.baseAddress, buffer.count) }
    func fsync(_ fd: Int32) -> Int32 { Glibc.fsync(fd) }
    func ftruncate(_ fd: Int32, _ length: off_t) -> Int32 { Glibc.ftruncate(fd, length) }
    func close(_ fd: Int32) -> Int32 { Glibc.close(fd) }
    func rename(_ from: String, _ to: String) -> Int32 { Glibc.rename(from, to) }
    func unlink(_ path: String) -> Int32 { Glibc.unlink(path) }
    func stat(_ path: String, _ st: inout stat) -> Int32 { statPath(path, &st) }
    func fstat(_ fd: Int32, _ st: inout stat) -> Int32 { Glibc.fstat(fd, &st) }
    func fchmod(_ fd: Int32, _ mode: mode_t) -> Int32 { Glibc.fchmod(fd, mode) }
    func fchown(_ fd: Int32, _ owner: uid_t, _ group: gid_t) -> Int32 { Glibc.fchown(fd, owner, group) }
    func readlink(_ path: String, _ buffer: UnsafeMutableBufferPointer<CChar>) -> Int {
        Glibc.readlink(path, buffer.baseAddress!, buffer.count)
    }
    func lockExclusive(_ fd: Int32) -> Int32 { flock(fd, LOCK_EX | LOCK_NB) }
}

/// `stat(2)` by a name the methods above do not shadow.
private func statPath(_ path: String, _ st: inout stat) -> Int32 { stat(path, &st) }
