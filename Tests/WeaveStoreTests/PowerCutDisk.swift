#if canImport(Glibc)
import Glibc
#endif
@testable import WeaveStore

/// A disk in memory that forgets, on a simulated power cut, everything not
/// made durable (after SQLite's crash-simulating `test6.c`, much smaller). It
/// answers the system calls (`SystemCalls`) the real `FileIO` and
/// `PosixFileSystem` make, so the code that is power-cut is the store's own:
///
/// - a file's bytes are durable only up to its last `fsync`;
/// - a name (a create, a rename, an unlink) is durable only once its directory
///   was fsynced.
///
/// `powerCut()` throws away the rest, as a machine losing power would (and may
/// keep a torn part of what was appended since the last fsync), and the store
/// then opens what is left. `cut(afterCalls:)` makes the power go at a chosen
/// system call inside an operation: every call from there fails (EIO) until
/// `powerCut()`. Not thread-safe; one test at a time.
///
/// Failures can be injected (`failWrite`, `failFsync`, `failTruncate`), as a
/// full disk or a dying one would make them:
///
/// - a write that fails part-way has written its first bytes (they stay in
///   the file, not durable) and then fails (ENOSPC, EIO);
/// - a failed fsync makes nothing durable, and the bytes it should have written
///   are lost for good, as Linux drops the dirty pages of a failed writeback: a
///   later fsync that succeeds writes zeros in their place, unless they were
///   cut off (ftruncate) before it.
final class PowerCutDisk: SystemCalls, @unchecked Sendable {
    /// One file's content: what the system holds now, and what a power cut keeps.
    final class Node {
        let inode: UInt64
        var current: [UInt8] = []
        var durable: [UInt8] = []
        var mode: mode_t
        var version = 0
        /// Bytes a failed fsync lost: a later fsync makes zeros of them.
        var lost: Range<Int>?
        init(inode: UInt64, mode: mode_t) {
            self.inode = inode
            self.mode = mode
        }
    }

    private enum Handle {
        case file(Node, append: Bool)
        case directory(String)
    }

    private var names: [String: Node] = [:]
    private var durableNames: [String: Node] = [:]
    private var handles: [Int32: Handle] = [:]
    private var offsets: [Int32: Int] = [:]
    /// Far above any descriptor the test process really has.
    private var nextHandle: Int32 = 1_000_000
    private var nextInode: UInt64 = 1
    /// Successful fsyncs of files, for the tests to see that the store does sync.
    private(set) var syncs = 0
    /// System calls made so far.
    private(set) var calls = 0

    /// The next writes accept `after` more bytes in all, then one fails with `errno`.
    var failWrite: (after: Int, errno: Int32)?
    /// The next fsync of a file fails with this errno.
    var failFsync: Int32?
    /// The next ftruncate fails with this errno.
    var failTruncate: Int32?
    /// Injected failures that happened.
    private(set) var failures = 0

    /// Calls left before the power goes (nil: it stays on).
    private var callsBeforeCut: Int?
    /// Whether the power went (`cut(afterCalls:)`) and `powerCut()` was not called yet.
    private(set) var isOff = false

    /// The power goes after `count` more system calls: the next ones fail
    /// (EIO), and what they would have done never reaches the disk.
    func cut(afterCalls count: Int) { callsBeforeCut = count }

    /// Leaves the power on (a cut that was scheduled and not reached).
    func cancelCut() { callsBeforeCut = nil }

    /// Everything not fsynced is lost and open handles die with the machine.
    /// `keepUnsynced(n)` says how many of the `n` bytes appended to a file
    /// since its last fsync reach the disk anyway (a torn tail; none by default).
    func powerCut(keepUnsynced: (Int) -> Int = { _ in 0 }) {
        names = durableNames
        var seen = Set<ObjectIdentifier>()
        for n in names.values.sorted(by: { $0.inode < $1.inode }) where seen.insert(ObjectIdentifier(n)).inserted {
            var kept = n.durable
            if n.lost == nil, n.current.count > n.durable.count, n.current.starts(with: n.durable) {
                let unsynced = n.current.count - n.durable.count
                kept += n.current[n.durable.count ..< n.durable.count + min(unsynced, max(0, keepUnsynced(unsynced)))]
            }
            n.current = kept
            n.durable = kept
            n.lost = nil
            n.version += 1
        }
        handles.removeAll()
        offsets.removeAll()
        callsBeforeCut = nil
        isOff = false
    }

    /// Puts bytes in place as already durable (a file that existed before).
    func install(_ path: String, _ bytes: [UInt8]) {
        let n = newNode(mode: 0o644)
        n.current = bytes
        n.durable = bytes
        names[path] = n
        durableNames[path] = n
    }

    func contents(_ path: String) -> [UInt8]? { names[path]?.current }

    private func newNode(mode: mode_t) -> Node {
        defer { nextInode += 1 }
        return Node(inode: nextInode, mode: mode)
    }

    private func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    private func fail<T: BinaryInteger>(_ code: Int32) -> T {
        errno = code
        return -1
    }

    /// Counts the call; false once the power is off.
    private func powered() -> Bool {
        calls += 1
        if let left = callsBeforeCut {
            if left == 0 {
                isOff = true
                callsBeforeCut = nil
            } else {
                callsBeforeCut = left - 1
            }
        }
        return !isOff
    }

    private func node(_ fd: Int32) -> Node? {
        if case .file(let n, _) = handles[fd] { return n }
        return nil
    }

    private func fill(_ st: inout stat, _ n: Node) {
        st = Glibc.stat()
        st.st_dev = 1
        st.st_ino = __ino_t(n.inode)
        st.st_size = off_t(n.current.count)
        st.st_mode = S_IFREG | n.mode
        st.st_nlink = nlink_t(names.values.filter { $0 === n }.count)
        st.st_uid = geteuid()
        st.st_gid = getegid()
        st.st_mtim = timespec(tv_sec: 0, tv_nsec: n.version)
    }

    // MARK: SystemCalls

    func open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
        guard powered() else { return fail(EIO) }
        let h = nextHandle
        nextHandle += 1
        if flags & O_DIRECTORY != 0 {
            handles[h] = .directory(path)
            return h
        }
        let n: Node
        if let existing = names[path] {
            if flags & O_CREAT != 0 && flags & O_EXCL != 0 { return fail(EEXIST) }
            n = existing
            if flags & O_TRUNC != 0 {
                n.current = []
                n.lost = nil
                n.version += 1
            }
        } else {
            guard flags & O_CREAT != 0 else { return fail(ENOENT) }
            n = newNode(mode: mode)
            names[path] = n
        }
        handles[h] = .file(n, append: flags & O_APPEND != 0)
        offsets[h] = 0
        return h
    }

    func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard powered() else { return fail(EIO) }
        guard let n = node(fd), let at = offsets[fd] else { return fail(EBADF) }
        let count = max(0, min(buffer.count, n.current.count - at))
        if count > 0 {
            n.current.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + at, byteCount: count) }
        }
        offsets[fd] = at + count
        return count
    }

    func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int {
        guard powered() else { return fail(EIO) }
        guard case .file(let n, let append)? = handles[fd], var at = offsets[fd] else { return fail(EBADF) }
        var count = buffer.count
        if let f = failWrite {
            if f.after == 0 {
                failWrite = nil
                failures += 1
                return fail(f.errno)
            }
            count = min(count, f.after)
            failWrite = (f.after - count, f.errno)
        }
        if append { at = n.current.count }
        if at > n.current.count { n.current += [UInt8](repeating: 0, count: at - n.current.count) }
        let bytes = Array(buffer.prefix(count))
        let overlap = min(count, n.current.count - at)
        n.current.replaceSubrange(at ..< at + overlap, with: bytes)
        n.version += 1
        offsets[fd] = at + count
        return count
    }

    func fsync(_ fd: Int32) -> Int32 {
        guard powered() else { return fail(EIO) }
        switch handles[fd] {
        case .directory(let dir):
            for (p, _) in durableNames where directory(of: p) == dir && names[p] == nil { durableNames[p] = nil }
            for (p, n) in names where directory(of: p) == dir { durableNames[p] = n }
            return 0
        case .file(let n, _):
            if let code = failFsync {
                failFsync = nil
                failures += 1
                let from = min(n.lost?.lowerBound ?? n.durable.count, n.durable.count)
                if from < n.current.count { n.lost = from ..< max(n.current.count, n.lost?.upperBound ?? 0) }
                return fail(code)
            }
            n.durable = n.current
            if let lost = n.lost {
                for i in lost where i < n.durable.count { n.durable[i] = 0 }
                n.lost = nil
            }
            syncs += 1
            return 0
        case nil:
            return fail(EBADF)
        }
    }

    func ftruncate(_ fd: Int32, _ length: off_t) -> Int32 {
        guard powered() else { return fail(EIO) }
        guard let n = node(fd) else { return fail(EBADF) }
        if let code = failTruncate {
            failTruncate = nil
            failures += 1
            return fail(code)
        }
        let length = Int(length)
        if length <= n.current.count {
            n.current.removeSubrange(length...)
        } else {
            n.current += [UInt8](repeating: 0, count: length - n.current.count)
        }
        if let lost = n.lost { n.lost = lost.lowerBound < length ? lost.lowerBound ..< min(lost.upperBound, length) : nil }
        n.version += 1
        return 0
    }

    func close(_ fd: Int32) -> Int32 {
        guard powered() else { return fail(EIO) }
        guard handles.removeValue(forKey: fd) != nil else { return fail(EBADF) }
        offsets[fd] = nil
        return 0
    }

    func rename(_ from: String, _ to: String) -> Int32 {
        guard powered() else { return fail(EIO) }
        guard let n = names.removeValue(forKey: from) else { return fail(ENOENT) }
        names[to] = n
        return 0
    }

    func unlink(_ path: String) -> Int32 {
        guard powered() else { return fail(EIO) }
        return names.removeValue(forKey: path) == nil ? fail(ENOENT) : 0
    }

    func stat(_ path: String, _ st: inout stat) -> Int32 {
        guard powered() else { return fail(EIO) }
        guard let n = names[path] else { return fail(ENOENT) }
        fill(&st, n)
        return 0
    }

    func fstat(_ fd: Int32, _ st: inout stat) -> Int32 {
        guard powered() else { return fail(EIO) }
        guard let n = node(fd) else { return fail(EBADF) }
        fill(&st, n)
        return 0
    }

    func fchmod(_ fd: Int32, _ mode: mode_t) -> Int32 {
        guard powered() else { return fail(EIO) }
        guard let n = node(fd) else { return fail(EBADF) }
        n.mode = mode & 0o7777
        return 0
    }

    /// One user owns everything here.
    func fchown(_ fd: Int32, _ owner: uid_t, _ group: gid_t) -> Int32 {
        guard powered() else { return fail(EIO) }
        return node(fd) == nil ? fail(EBADF) : 0
    }

    /// There are no symbolic links.
    func readlink(_ path: String, _ buffer: UnsafeMutableBufferPointer<CChar>) -> Int {
        guard powered() else { return fail(EIO) }
        return fail(names[path] == nil ? ENOENT : EINVAL)
    }

    /// One process uses the disk: the lock is always free.
    func lockExclusive(_ fd: Int32) -> Int32 {
        guard powered() else { return fail(EIO) }
        return node(fd) == nil ? fail(EBADF) : 0
    }
}
