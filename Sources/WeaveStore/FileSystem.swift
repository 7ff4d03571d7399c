#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a file looked like when the store last read or wrote it: enough to
/// notice that another program replaced or changed it (device, inode, size and
/// modification time; the content hash is compared separately, through
/// `TextMark`).
public struct FileStamp: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modifiedNanoseconds: Int64

    public init(device: UInt64, inode: UInt64, size: Int64, modifiedNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
    }
}

/// The file operations the store performs, and nothing more: a write is
/// durable only once `sync` returned for its file, and a new name only once its
/// directory was synced. (The power-cut tests go one level lower and run
/// `PosixFileSystem` itself on a simulated disk: see `SystemCalls`.)
///
/// Every failure throws `StoreError.io` naming the path and the system's reason.
public protocol FileSystem: AnyObject {
    /// A whole file's bytes; nil when it does not exist.
    func readAll(_ path: String) throws -> [UInt8]?
    func exists(_ path: String) -> Bool
    /// Whether `path` is a regular file of zero bytes.
    func isEmptyFile(_ path: String) -> Bool
    /// Opens `path` for appending; with `createNew` it must not exist yet.
    func openForAppend(_ path: String, createNew: Bool, action: String) throws -> Int32
    /// Writes all of `bytes` at the end of the open file, or throws.
    func append(_ handle: Int32, _ bytes: [UInt8], path: String) throws
    /// Makes everything written to the open file durable.
    func sync(_ handle: Int32, path: String) throws
    /// Cuts the open file to `length` bytes (not yet durable: `sync` after).
    func truncate(_ handle: Int32, to length: Int, path: String) throws
    func close(_ handle: Int32)
    /// Makes the directory entries of `path`'s directory durable (a create or rename).
    func syncDirectory(of path: String) throws
    func rename(_ from: String, _ to: String) throws
    func remove(_ path: String) throws
    /// Replaces `path` with `bytes` all at once: after a crash at any moment the
    /// old content or the new one is there, whole. An existing file keeps its
    /// owner, group and mode; on the real file system, another user's file whose
    /// owner cannot be kept is rewritten in place instead, which is not atomic
    /// (`FileIO.writeAtomically`).
    func writeAtomically(_ path: String, _ bytes: [UInt8]) throws
    /// The stamp of `path` (following symbolic links), nil when it does not exist.
    func stamp(_ path: String) -> FileStamp?
    /// Whether the open file is still the one `path` names: false once it was
    /// removed, or replaced by another file (a rename over it).
    func isCurrent(_ handle: Int32, path: String) -> Bool
    /// Makes this process the only writer of the open file `path` for as long
    /// as the handle is open (`WriterLock`), or throws `WriterLockError`
    /// naming the process that is.
    func lockForWriting(_ handle: Int32, path: String) throws
}

extension FileSystem {
    /// A file layer that cannot tell: the file is taken to be current.
    public func isCurrent(_ handle: Int32, path: String) -> Bool { true }
    /// A file layer of one process (a test's): no other writer can exist.
    public func lockForWriting(_ handle: Int32, path: String) throws {}
}

/// The real file system (POSIX calls, EINTR retried, short writes completed).
/// A test may give it a simulated disk instead of the kernel (`SystemCalls`):
/// the code that runs is the same.
public final class PosixFileSystem: FileSystem, Sendable {
    public static let shared = PosixFileSystem()
    let system: FileIO.System
    public init() { system = FileIO.posix }
    init(system: FileIO.System) { self.system = system }

    public func readAll(_ path: String) throws -> [UInt8]? { try FileIO.readAll(path, system: system) }
    public func exists(_ path: String) -> Bool { FileIO.exists(path, system: system) }
    public func isEmptyFile(_ path: String) -> Bool { FileIO.isEmptyFile(path, system: system) }

    public func openForAppend(_ path: String, createNew: Bool, action: String) throws -> Int32 {
        try FileIO.open(path, createNew ? O_WRONLY | O_CREAT | O_EXCL | O_APPEND : O_WRONLY | O_APPEND, action: action, system: system)
    }

    public func append(_ handle: Int32, _ bytes: [UInt8], path: String) throws {
        try FileIO.writeAll(handle, bytes, path: path, system: system)
    }
    public func sync(_ handle: Int32, path: String) throws { try FileIO.fsync(handle, path: path, system: system) }

    public func truncate(_ handle: Int32, to length: Int, path: String) throws {
        if system.ftruncate(handle, off_t(length)) != 0 {
            throw StoreError.io(path: path, action: "cut back", reason: FileIO.reason())
        }
    }

    public func close(_ handle: Int32) { FileIO.close(handle, system: system) }
    public func syncDirectory(of path: String) throws { try FileIO.fsyncDirectory(of: path, system: system) }
    public func rename(_ from: String, _ to: String) throws { try FileIO.rename(from, to, system: system) }

    public func remove(_ path: String) throws {
        if system.unlink(path) != 0 && errno != ENOENT { throw StoreError.io(path: path, action: "remove", reason: FileIO.reason()) }
    }

    public func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
        try FileIO.writeAtomically(path, bytes, system: system)
    }

    public func stamp(_ path: String) -> FileStamp? {
        var st = stat()
        guard system.stat(path, &st) == 0 else { return nil }
        return FileStamp(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                         modifiedNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }

    public func isCurrent(_ handle: Int32, path: String) -> Bool { FileIO.isCurrent(handle, path: path, system: system) }
    public func lockForWriting(_ handle: Int32, path: String) throws { try WriterLock.lock(handle, path: path, system: system) }
}
