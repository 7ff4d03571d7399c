#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the store could not do what was asked. Messages name the file and the
/// system's reason, so a user knows what to fix.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case io(path: String, action: String, reason: String)
    case notAWeaveLog(path: String)
    case newerFormat(path: String, found: UInt32, supported: UInt32)
    case damaged(path: String, offset: Int, reason: String)
    case fileMissingButHistoryExists(file: String, sidecar: String)
    case notText(path: String, reason: String)

    /// Whether this is the system refusing to write (a folder or file this user
    /// may not write, or a read-only file system): FILE may still be shown read-only.
    public var isWriteRefused: Bool {
        guard case .io(_, let action, let reason) = self, action != "read" else { return false }
        return reason == String(cString: strerror(EACCES)) || reason == String(cString: strerror(EROFS))
            || reason == String(cString: strerror(EPERM))
    }

    public var description: String {
        switch self {
        case .io(let p, let a, let r): return "cannot \(a) \(p): \(r)"
        case .notAWeaveLog(let p): return "\(p) is not a Weave history file"
        case .newerFormat(let p, let f, let s):
            return "\(p) was written by a newer Weave (history format \(f)); this Weave reads format \(s) — upgrade Weave to open it"
        case .damaged(let p, let o, let r):
            return "history \(p) is damaged at byte \(o) (\(r)); it was not opened for writing. Run `weave recover` on the file to keep the valid part"
        case .fileMissingButHistoryExists(let f, let s):
            return "\(f) does not exist, but its history \(s) does; run `weave recover \(f)` to restore the text from the history, or delete the history to start afresh"
        case .notText(let p, let r): return "\(p) is not a text file Weave can edit: \(r)"
        }
    }
}

/// Thin POSIX wrappers: EINTR retried, short writes completed, every failure a
/// `StoreError` naming the path. Every call goes through `system` (the real
/// kernel unless a test passes a simulated disk: see `SystemCalls`).
enum FileIO {
    typealias System = any SystemCalls
    static let posix: System = PosixCalls.shared

    static func reason() -> String { String(cString: strerror(errno)) }

    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0o644, action: String, system: System = posix) throws -> Int32 {
        while true {
            let fd = system.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw StoreError.io(path: path, action: action, reason: reason()) }
        }
    }

    /// Writes all of `bytes` or throws.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String, system: System = posix) throws {
        var done = 0
        try bytes.withUnsafeBytes { buf in
            while done < buf.count {
                let n = system.write(fd, UnsafeRawBufferPointer(rebasing: buf[done...]))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw StoreError.io(path: path, action: "write", reason: reason())
                }
                done += n
            }
        }
    }

    static func fsync(_ fd: Int32, path: String, system: System = posix) throws {
        while system.fsync(fd) != 0 {
            if errno != EINTR { throw StoreError.io(path: path, action: "sync", reason: reason()) }
        }
    }

    static func close(_ fd: Int32, system: System = posix) { _ = system.close(fd) }

    /// Reads a whole file; nil if it does not exist.
    static func readAll(_ path: String, system: System = posix) throws -> [UInt8]? {
        let fd = system.open(path, O_RDONLY | O_CLOEXEC, 0)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw StoreError.io(path: path, action: "read", reason: reason())
        }
        defer { _ = system.close(fd) }
        // Read into one buffer of the file's size (and more if it grows
        // meanwhile): no chunk copies, no doubling past the size.
        var st = stat()
        let expected = system.fstat(fd, &st) == 0 && st.st_size > 0 ? Int(st.st_size) : 0
        var out = [UInt8](repeating: 0, count: expected + 1)
        var filled = 0
        while true {
            if filled == out.count { out.append(contentsOf: repeatElement(0, count: Swift.max(1 << 16, out.count / 2))) }
            let n = out.withUnsafeMutableBytes { system.read(fd, UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io(path: path, action: "read", reason: reason())
            }
            if n == 0 {
                out.removeSubrange(filled...)
                return out
            }
            filled += n
        }
    }

    static func exists(_ path: String, system: System = posix) -> Bool {
        var st = stat()
        return system.stat(path, &st) == 0
    }

    /// The first `count` bytes of a file (fewer when it is shorter); nil if it does not exist.
    static func readPrefix(_ path: String, count: Int, system: System = posix) throws -> [UInt8]? {
        let fd = system.open(path, O_RDONLY | O_CLOEXEC, 0)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw StoreError.io(path: path, action: "read", reason: reason())
        }
        defer { _ = system.close(fd) }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { system.read(fd, UnsafeMutableRawBufferPointer(rebasing: $0[done...])) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io(path: path, action: "read", reason: reason())
            }
            if n == 0 { break }
            done += n
        }
        return Array(out.prefix(done))
    }

    /// Whether the open file `fd` is still the one `path` names: it has a
    /// name (not removed) and `path` is the same device and inode.
    static func isCurrent(_ fd: Int32, path: String, system: System = posix) -> Bool {
        var open = stat(), named = stat()
        guard system.fstat(fd, &open) == 0 else { return false }
        guard open.st_nlink > 0, system.stat(path, &named) == 0 else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    /// Whether `path` is a regular file of zero bytes.
    static func isEmptyFile(_ path: String, system: System = posix) -> Bool {
        var st = stat()
        return system.stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && st.st_size == 0
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }

    static func fsyncDirectory(of path: String, system: System = posix) throws {
        let dir = directory(of: path)
        let fd = try open(dir, O_RDONLY | O_DIRECTORY, action: "open directory", system: system)
        defer { close(fd, system: system) }
        try fsync(fd, path: dir, system: system)
    }

    static func rename(_ from: String, _ to: String, system: System = posix) throws {
        if system.rename(from, to) != 0 { throw StoreError.io(path: to, action: "replace", reason: reason()) }
    }

    /// Writes `bytes` to `path`: a temporary file beside it, fsync, rename
    /// over `path`, fsync of the directory. On any failure the old file is
    /// untouched and the temporary file removed; after a crash at any moment
    /// `path` holds its old content or the new one, whole — except in the one
    /// case below.
    ///
    /// An existing file keeps its mode, owner and group (fchmod/fchown on the
    /// temporary file before the rename), and a symbolic link keeps pointing at
    /// its target, which is the file written. When the owner cannot be kept
    /// (another user's file, saved by someone allowed to write it but not to
    /// give files away), the file is rewritten in place instead, so it stays
    /// theirs; that write is fsynced but NOT atomic: a crash during it can
    /// leave the file cut short or empty. A new file gets `mode`.
    ///
    /// With `keepAttributes` false the old file's mode and owner are not kept:
    /// the file is always a new one, of `mode`, owned by this process's user
    /// (never rewritten in place). Its temporary file is then made afresh by
    /// this call (any left from before is removed; `O_EXCL`, so no link is
    /// followed) with `mode` at creation, so its bytes are never readable
    /// beyond `mode`, not even during the write.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, keepAttributes: Bool = true,
                                sync: Bool = true, system: System = posix) throws {
        let target = resolvedTarget(path, system: system)
        var st = stat()
        let existing = keepAttributes && system.stat(target, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        let tmp = directory(of: target) + "/.\(baseName(target)).tmp-\(getpid())"
        if !keepAttributes { _ = system.unlink(tmp) }
        let fd = try open(tmp, O_WRONLY | O_CREAT | (keepAttributes ? O_TRUNC : O_EXCL), existing ? 0o600 : mode,
                          action: "create a temporary file for", system: system)
        var isOpen = true  // never closed twice: by then the number may be another thread's file
        do {
            if existing {
                if system.fchmod(fd, st.st_mode & 0o7777) != 0 {
                    throw StoreError.io(path: tmp, action: "set the mode of", reason: reason())
                }
                if st.st_uid != geteuid() || st.st_gid != getegid() {
                    if system.fchown(fd, st.st_uid, st.st_gid) != 0 {
                        if errno == EPERM {
                            close(fd, system: system)
                            isOpen = false
                            _ = system.unlink(tmp)
                            try writeInPlace(target, bytes, system: system)
                            return
                        }
                        throw StoreError.io(path: tmp, action: "set the owner of", reason: reason())
                    }
                }
            } else if system.fchmod(fd, mode) != 0 {
                throw StoreError.io(path: tmp, action: "set the mode of", reason: reason())
            }
            try writeAll(fd, bytes, path: tmp, system: system)
            if sync { try fsync(fd, path: tmp, system: system) }
            close(fd, system: system)
            isOpen = false
            try rename(tmp, target, system: system)
            if sync { try fsyncDirectory(of: target, system: system) }
        } catch {
            if isOpen { close(fd, system: system) }
            _ = system.unlink(tmp)
            throw error
        }
    }

    /// Rewrites an existing file's content in place (its inode, owner and mode
    /// stay), then fsyncs it. Not atomic.
    private static func writeInPlace(_ path: String, _ bytes: [UInt8], system: System) throws {
        let fd = try open(path, O_WRONLY | O_TRUNC, action: "write", system: system)
        defer { close(fd, system: system) }
        try writeAll(fd, bytes, path: path, system: system)
        try fsync(fd, path: path, system: system)
    }

    /// The file a path names: the final target of a symbolic link (relative
    /// links resolved against the link's directory), else the path itself.
    static func resolvedTarget(_ path: String, system: System = posix) -> String {
        var current = path
        for _ in 0 ..< 40 {
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = buf.withUnsafeMutableBufferPointer { system.readlink(current, UnsafeMutableBufferPointer(rebasing: $0.dropLast())) }
            guard n > 0 else { return current }
            let link = String(decoding: buf[0 ..< n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = link.hasPrefix("/") ? link : directory(of: current) + "/" + link
        }
        return current
    }

    static func baseName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

/// Atomic whole-file writes for other modules: temporary file beside the
/// target, fsync, rename, fsync of the directory. On failure the old file is
/// untouched and a `StoreError` says why. Another user's file whose owner
/// cannot be kept is rewritten in place, which is not atomic (see
/// `FileIO.writeAtomically`).
public enum AtomicFile {
    public static func write(_ path: String, _ bytes: [UInt8]) throws {
        try FileIO.writeAtomically(path, bytes, mode: StoredDocument.mode(of: path))
    }

    /// Writes a file only its owner may read or write (a private key, the
    /// invitations): the same atomic replacement, but the file is 0600 and
    /// this user's whatever the file it replaces was, and its temporary file
    /// is created 0600 by this call, so the bytes are never readable by others,
    /// not even during the write. Never rewritten in place. Throws `StoreError`;
    /// on failure the old file is untouched.
    public static func writePrivate(_ path: String, _ bytes: [UInt8]) throws {
        try writePrivate(path, bytes, system: FileIO.posix)
    }

    static func writePrivate(_ path: String, _ bytes: [UInt8], system: FileIO.System) throws {
        try FileIO.writeAtomically(path, bytes, mode: 0o600, keepAttributes: false, system: system)
    }

    /// Appends `bytes` to a private file (created 0600, with `header` first,
    /// when it does not exist) and makes them durable: the file is fsynced,
    /// and its directory too when this call created it, so a line that
    /// returned survives a power cut. A write that fails part-way may leave a
    /// torn last line, which readers of such files skip. Throws `StoreError`.
    public static func appendPrivate(_ path: String, _ bytes: [UInt8], header: [UInt8] = []) throws {
        try appendPrivate(path, bytes, header: header, system: FileIO.posix)
    }

    static func appendPrivate(_ path: String, _ bytes: [UInt8], header: [UInt8], system: FileIO.System) throws {
        let fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600, action: "open for appending", system: system)
        defer { FileIO.close(fd, system: system) }
        var st = stat()
        let fresh = system.fstat(fd, &st) == 0 && st.st_size == 0
        try FileIO.writeAll(fd, fresh ? header + bytes : bytes, path: path, system: system)
        try FileIO.fsync(fd, path: path, system: system)
        if fresh { try FileIO.fsyncDirectory(of: path, system: system) }
    }
}
