#if canImport(Glibc)
import Glibc
#endif

/// The file system beneath one folder, reached without following a symbolic
/// link at any step (issue 29): a shared folder's session reads, writes,
/// renames and removes only what is inside its root.
///
/// Every path given must be ROOT/RELATIVE (RELATIVE without empty, "." or
/// ".." names). It is resolved from a descriptor of ROOT one name at a time
/// with `openat(…, O_NOFOLLOW | O_DIRECTORY)` for each folder and
/// `O_NOFOLLOW` (or `AT_SYMLINK_NOFOLLOW`, `renameat`, `unlinkat`) for the
/// last name, so a symbolic link anywhere on the way (a folder that is a
/// link to elsewhere, a file that is a link) is refused, never followed, and
/// no `..` can climb out. (Linux's `openat2` with `RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS` would do the same in one call, but it is a raw
/// system call Swift cannot reach without a C target; the per-name walk is
/// what this uses, on every system.) Only regular files are opened: a pipe,
/// socket or device is refused before it is read (opened non-blocking).
///
/// ROOT itself is taken as given (the user named it). Failures throw
/// `StoreError.io` naming the path and saying why.
public final class ConfinedFileSystem: FileSystem, @unchecked Sendable {
    public let root: String
    private let base = PosixFileSystem.shared

    public init(root: String) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    public static let linkRefused = "it is reached through a symbolic link or is one, and a shared folder never follows links"

    // MARK: Resolving

    /// The names of `path` below the root, or throws when it is not below it.
    func names(_ path: String, action: String) throws -> [String] {
        let prefix = root == "/" ? "/" : root + "/"
        guard path.hasPrefix(prefix) else {
            throw StoreError.io(path: path, action: action, reason: "it is outside the shared folder \(root)")
        }
        let rest = path.dropFirst(prefix.count)
        let parts = rest.split(separator: "/").map(String.init)  // "a//b" is "a/b"
        guard !parts.isEmpty, !parts.contains(where: { $0 == "." || $0 == ".." }) else {
            throw StoreError.io(path: path, action: action, reason: "it is not a plain path inside the shared folder")
        }
        return parts
    }

    /// A descriptor of the folder holding `path`'s last name, and that name.
    /// The caller closes the descriptor. With `create`, missing folders are made.
    func parent(_ path: String, action: String, create: Bool = false) throws -> (fd: Int32, name: String) {
        let parts = try names(path, action: action)
        var fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io(path: root, action: "open the shared folder to \(action)", reason: FileIO.reason()) }
        for name in parts.dropLast() {
            var next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT && create {
                if mkdirat(fd, name, 0o755) != 0 && errno != EEXIST {
                    let why = FileIO.reason()
                    Glibc.close(fd)
                    throw StoreError.io(path: path, action: "create folder \(name) to \(action)", reason: why)
                }
                next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            let err = errno
            Glibc.close(fd)
            guard next >= 0 else {
                if err == ENOENT { throw StoreError.io(path: path, action: action, reason: "no such file or folder") }
                throw StoreError.io(path: path, action: action, reason: err == ELOOP || err == ENOTDIR ? Self.linkRefused : String(cString: strerror(err)))
            }
            fd = next
        }
        return (fd, parts.last!)
    }

    /// `lstat` of `path` through the confined walk; nil when it (or a folder
    /// on the way) does not exist or cannot be reached.
    func lstatConfined(_ path: String) -> stat? {
        guard let (fd, name) = try? parent(path, action: "look at") else { return nil }
        defer { Glibc.close(fd) }
        var st = stat()
        return fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st : nil
    }

    /// Opens `path`'s last name with `flags | O_NOFOLLOW`; refuses what is
    /// not a regular file. Returns -1 with errno ENOENT when it does not exist.
    func openRegular(_ path: String, _ flags: Int32, mode: mode_t = 0o644, action: String) throws -> Int32 {
        let (dir, name) = try parent(path, action: action)
        defer { Glibc.close(dir) }
        let fd = openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode)
        guard fd >= 0 else {
            if errno == ENOENT { return -1 }
            throw StoreError.io(path: path, action: action, reason: errno == ELOOP ? Self.linkRefused : FileIO.reason())
        }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            Glibc.close(fd)
            throw StoreError.io(path: path, action: action, reason: "it is not a regular file")
        }
        // Back to blocking I/O for a regular file.
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        return fd
    }

    // MARK: FileSystem

    public func readAll(_ path: String) throws -> [UInt8]? {
        let fd = try openRegular(path, O_RDONLY, action: "read")
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io(path: path, action: "read", reason: FileIO.reason())
            }
            if n == 0 { break }
            out.append(contentsOf: buf[0 ..< n])
        }
        return out
    }

    public func exists(_ path: String) -> Bool { lstatConfined(path) != nil }

    public func isEmptyFile(_ path: String) -> Bool {
        guard let st = lstatConfined(path) else { return false }
        return (st.st_mode & S_IFMT) == S_IFREG && st.st_size == 0
    }

    public func openForAppend(_ path: String, createNew: Bool, action: String) throws -> Int32 {
        let flags = createNew ? O_WRONLY | O_CREAT | O_EXCL | O_APPEND : O_WRONLY | O_APPEND
        let fd = try openRegular(path, flags, action: action)
        guard fd >= 0 else { throw StoreError.io(path: path, action: action, reason: "no such file or folder") }
        return fd
    }

    public func append(_ handle: Int32, _ bytes: [UInt8], path: String) throws { try base.append(handle, bytes, path: path) }
    public func sync(_ handle: Int32, path: String) throws { try base.sync(handle, path: path) }
    public func truncate(_ handle: Int32, to length: Int, path: String) throws { try base.truncate(handle, to: length, path: path) }
    public func close(_ handle: Int32) { base.close(handle) }

    public func syncDirectory(of path: String) throws {
        let (dir, _) = try parent(path, action: "sync the folder of")
        defer { Glibc.close(dir) }
        try FileIO.fsync(dir, path: FileIO.directory(of: path))
    }

    public func rename(_ from: String, _ to: String) throws {
        let (a, x) = try parent(from, action: "move")
        defer { Glibc.close(a) }
        let (b, y) = try parent(to, action: "move onto")
        defer { Glibc.close(b) }
        if renameat(a, x, b, y) != 0 {
            throw StoreError.io(path: from, action: "rename to \(to)", reason: FileIO.reason())
        }
    }

    public func remove(_ path: String) throws {
        guard let (dir, name) = try? parent(path, action: "remove") else { return }
        defer { Glibc.close(dir) }
        if unlinkat(dir, name, 0) != 0 && errno != ENOENT {
            throw StoreError.io(path: path, action: "remove", reason: FileIO.reason())
        }
    }

    public func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
        try writeAtomically(path, bytes, sync: true)
    }

    /// Writes a temporary file beside `path` and renames it over `path`, both
    /// inside the confined folder; an existing `path` must be a regular file
    /// (its mode is kept). With `sync`, the file and its folder are fsynced.
    public func writeAtomically(_ path: String, _ bytes: [UInt8], sync: Bool) throws {
        let (dir, name) = try parent(path, action: "write")
        defer { Glibc.close(dir) }
        var st = stat()
        var mode: mode_t = 0o644
        if fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFREG else {
                throw StoreError.io(path: path, action: "write", reason: (st.st_mode & S_IFMT) == S_IFLNK ? Self.linkRefused : "it is not a regular file")
            }
            mode = st.st_mode & 0o7777
        }
        let tmp = ".\(name).tmp-\(getpid())"
        _ = unlinkat(dir, tmp, 0)
        let fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw StoreError.io(path: path, action: "create a temporary file for", reason: FileIO.reason()) }
        do {
            _ = fchmod(fd, mode)
            try FileIO.writeAll(fd, bytes, path: path)
            if sync { try FileIO.fsync(fd, path: path) }
            Glibc.close(fd)
            if renameat(dir, tmp, dir, name) != 0 {
                throw StoreError.io(path: path, action: "replace", reason: FileIO.reason())
            }
            if sync { try FileIO.fsync(dir, path: FileIO.directory(of: path)) }
        } catch {
            Glibc.close(fd)
            _ = unlinkat(dir, tmp, 0)
            throw error
        }
    }

    /// The stamp of `path` itself (a symbolic link is not followed).
    public func stamp(_ path: String) -> FileStamp? {
        guard let st = lstatConfined(path) else { return nil }
        return FileStamp(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                         modifiedNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }

    public func isCurrent(_ handle: Int32, path: String) -> Bool {
        var open = stat()
        guard fstat(handle, &open) == 0, open.st_nlink > 0, let named = lstatConfined(path) else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    public func lockForWriting(_ handle: Int32, path: String) throws { try base.lockForWriting(handle, path: path) }

    // MARK: Beyond FileSystem

    /// `mkdir -p` of `path` inside the root, never through a link.
    public func makeFolders(_ path: String) throws {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        if p == root { return }
        let (dir, name) = try parent(path, action: "create folder", create: true)
        defer { Glibc.close(dir) }
        if mkdirat(dir, name, 0o755) != 0 && errno != EEXIST {
            throw StoreError.io(path: path, action: "create folder", reason: FileIO.reason())
        }
        var st = stat()
        guard fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw StoreError.io(path: path, action: "create folder", reason: Self.linkRefused)
        }
    }

    /// What is at `path` (not following a link): nil when nothing is (or a
    /// folder on the way is a link or missing).
    public func kind(_ path: String) -> mode_t? {
        lstatConfined(path).map { $0.st_mode & S_IFMT }
    }
}
