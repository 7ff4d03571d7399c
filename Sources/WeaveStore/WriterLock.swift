#if canImport(Glibc)
import Glibc
#endif

/// Another weave process writes the file or folder already.
public struct WriterLockError: Error, Equatable, CustomStringConvertible {
    /// The file or folder, as the user named it.
    public var path: String
    /// The process holding the lock, when the system says which (Linux's /proc/locks).
    public var pid: Int32?
    /// Its command line, when it could be read.
    public var command: String?
    /// Whether `path` is a shared folder (else one file's history).
    public var folder: Bool

    public init(path: String, pid: Int32?, command: String?, folder: Bool) {
        self.path = path
        self.pid = pid
        self.command = command
        self.folder = folder
    }

    public var description: String {
        var who = "another weave process"
        if let pid {
            who += " (PID \(pid)" + (command.map { ": \($0)" } ?? "") + ")"
        }
        if folder {
            return "\(path) is being shared by \(who): one folder has one weave process; close it first, or join into another folder"
        }
        return "\(path) is being edited by \(who); close it first, or open it with --read-only"
    }
}

/// One live writer per history file and per shared folder, across processes
/// (docs/OPLOG.md, "One writer").
///
/// The lock is `flock(LOCK_EX | LOCK_NB)` on an open file: it belongs to the
/// open file description, lasts while it is open, and vanishes when the
/// process dies however it dies, so a lock left by a dead process never
/// blocks. A history's lock is taken on the descriptor the log appends with
/// (`OpLog`, held for the log's life, taken again on the new file before
/// compaction renames it into place); a folder's on `DIR/.weave/lock`, held by
/// a `WriterLock(folder:)` for its life. When the lock is held, the holder's
/// PID is found in /proc/locks by the file's device and inode and its command
/// line in /proc/PID/cmdline.
public final class WriterLock {
    /// The lock file (`DIR/.weave/lock`).
    public let path: String
    private var fd: Int32

    /// Locks the shared folder `root` (`root/.weave/lock`, created with the
    /// `.weave` folder when missing), or throws `WriterLockError` naming the
    /// process that has it (or `StoreError` when the file cannot be made).
    public init(folder root: String) throws {
        let dir = (root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root) + "/.weave"
        if mkdir(dir, 0o755) != 0 && errno != EEXIST {
            throw StoreError.io(path: dir, action: "create", reason: FileIO.reason())
        }
        path = dir + "/lock"
        fd = try FileIO.open(path, O_RDWR | O_CREAT, 0o644, action: "open the folder lock")
        do {
            try Self.lock(fd, path: path, shownAs: root, folder: true)
        } catch {
            FileIO.close(fd)
            throw error
        }
    }

    deinit { FileIO.close(fd) }

    /// Gives the lock up (closing the file); also done when the lock is released.
    public func unlock() {
        if fd >= 0 { FileIO.close(fd) }
        fd = -1
    }

    /// Locks the open history file `fd` (`path`) for this process, or throws
    /// `WriterLockError`. The user is told about the plain file the history
    /// belongs to (`.g.txt.weave` → `g.txt`).
    public static func lock(_ fd: Int32, path: String) throws {
        try lock(fd, path: path, shownAs: shownName(ofHistory: path), folder: false)
    }

    static func lock(_ fd: Int32, path: String, system: FileIO.System) throws {
        try lock(fd, path: path, shownAs: shownName(ofHistory: path), folder: false, system: system)
    }

    static func lock(_ fd: Int32, path: String, shownAs: String, folder: Bool, system: FileIO.System = FileIO.posix) throws {
        var unseen = 0
        while system.lockExclusive(fd) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK {
                let lookup = holder(of: fd)
                // This process has it already (a test, or a file opened twice in
                // one process): nobody else can write it; go on without a second lock.
                if lookup.pid == getpid() { return }
                // /proc/locks is read a page per system call, each page from the
                // table as it is then: while other locks come and go, the line of
                // ours can be skipped. Look again (and try the lock again, in case
                // it was let go meanwhile) before saying "another process".
                if lookup.pid == nil, lookup.tableRead, unseen < Self.lookups {
                    unseen += 1
                    usleep(2_000)
                    continue
                }
                let pid = lookup.pid
                throw WriterLockError(path: shownAs, pid: pid, command: pid.flatMap(commandLine), folder: folder)
            }
            // A file system without flock (some network ones): nothing to enforce with.
            if errno == ENOLCK || errno == EOPNOTSUPP || errno == ENOSYS { return }
            throw StoreError.io(path: path, action: "lock", reason: FileIO.reason())
        }
    }

    /// The plain file a history belongs to: `DIR/.NAME.weave` → `DIR/NAME`
    /// (a folder's own history stays as it is).
    static func shownName(ofHistory path: String) -> String {
        let base = FileIO.baseName(path)
        guard base.hasPrefix("."), base.hasSuffix(".weave"), base.count > 7 else { return path }
        let name = String(base.dropFirst().dropLast(6))
        let dir = FileIO.directory(of: path)
        return dir == "." ? name : (dir == "/" ? "/" : dir + "/") + name
    }

    /// The PID holding a flock on the same file as `fd`, from /proc/locks
    /// (lines like `2: FLOCK  ADVISORY  WRITE 1234 fe:00:5309942 0 EOF`,
    /// device as hex major:minor, inode in decimal). The PID is nil when not
    /// found; `tableRead` is false when /proc/locks could not be read at all.
    static func holder(of fd: Int32) -> (pid: Int32?, tableRead: Bool) {
        var st = stat()
        guard fstat(fd, &st) == 0, let table = try? FileIO.readAll("/proc/locks") else { return (nil, false) }
        let dev = UInt64(st.st_dev)
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
        let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
        let me = getpid()
        var found: Int32?
        for line in String(decoding: table, as: UTF8.self).split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            // "N:", kind, mode, access, pid, dev:inode, start, end ("->" lines are waiters: skip).
            guard f.count >= 6, f[1] == "FLOCK", f[0].last == ":" else { continue }
            let id = f[5].split(separator: ":")
            guard id.count == 3, UInt64(id[0], radix: 16) == major, UInt64(id[1], radix: 16) == minor,
                  UInt64(id[2]) == UInt64(st.st_ino), let pid = Int32(f[4]), pid > 0 else { continue }
            if pid != me { return (pid, true) }
            found = pid
        }
        return (found, true)
    }

    /// How many times a held lock whose holder /proc/locks does not show is
    /// looked up again, 2 ms apart, before the error names no process.
    static let lookups = 25

    /// A process's command line (arguments joined by spaces, the program by
    /// its base name), or nil when it cannot be read.
    static func commandLine(_ pid: Int32) -> String? {
        guard let raw = try? FileIO.readAll("/proc/\(pid)/cmdline"), !raw.isEmpty else { return nil }
        var args = raw.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if args.last == "" { args.removeLast() }
        guard !args.isEmpty else { return nil }
        args[0] = FileIO.baseName(args[0])
        return args.joined(separator: " ")
    }
}
