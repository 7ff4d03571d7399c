#if canImport(Glibc)
import Glibc
#endif

/// The real file system, whose fsyncs can be gathered into one: while
/// `deferring`, `sync`, `syncDirectory` and the fsyncs of `writeAtomically`
/// are skipped (the writes themselves happen, in order), and `commit(root:)`
/// then makes everything written durable with one `syncfs` of the file
/// system that holds `root` — a group commit across files.
///
/// For a shared folder's many histories (`WorkspaceFolder`): mirroring 1,000
/// files costs ~7,000 fsyncs one by one, one `syncfs` together. Nothing may
/// be reported saved between a deferred write and its commit. Not thread-safe
/// (one session's thread).
///
/// It sits on a `ConfinedFileSystem` of the shared folder: every path is
/// resolved beneath the folder without following a symbolic link (issue 29).
public final class DeferredSyncFileSystem: FileSystem, @unchecked Sendable {
    /// The folder every path is confined to.
    public let base: ConfinedFileSystem
    /// Skip fsyncs until `commit`.
    public var deferring = false
    /// Whether something was written since the last commit while deferring.
    public private(set) var pending = false

    public init(root: String) { base = ConfinedFileSystem(root: root) }

    /// Makes what was written durable (one `syncfs` when anything waits) and
    /// stops deferring. Throws `StoreError.io` when the file system refuses.
    public func commit(root: String) throws {
        deferring = false
        guard pending else { return }
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io(path: root, action: "open for syncing", reason: String(cString: strerror(errno))) }
        defer { Glibc.close(fd) }
        if weaveSyncfs(fd) != 0 { throw StoreError.io(path: root, action: "sync", reason: String(cString: strerror(errno))) }
        pending = false
    }

    public func readAll(_ path: String) throws -> [UInt8]? { try base.readAll(path) }
    public func exists(_ path: String) -> Bool { base.exists(path) }
    public func isEmptyFile(_ path: String) -> Bool { base.isEmptyFile(path) }
    public func openForAppend(_ path: String, createNew: Bool, action: String) throws -> Int32 {
        try base.openForAppend(path, createNew: createNew, action: action)
    }
    public func append(_ handle: Int32, _ bytes: [UInt8], path: String) throws { try base.append(handle, bytes, path: path) }
    public func sync(_ handle: Int32, path: String) throws {
        if deferring { pending = true } else { try base.sync(handle, path: path) }
    }
    public func truncate(_ handle: Int32, to length: Int, path: String) throws { try base.truncate(handle, to: length, path: path) }
    public func close(_ handle: Int32) { base.close(handle) }
    public func syncDirectory(of path: String) throws {
        if deferring { pending = true } else { try base.syncDirectory(of: path) }
    }
    public func rename(_ from: String, _ to: String) throws { try base.rename(from, to) }
    public func remove(_ path: String) throws { try base.remove(path) }
    public func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
        if deferring { pending = true }
        try base.writeAtomically(path, bytes, sync: !deferring)
    }
    public func stamp(_ path: String) -> FileStamp? { base.stamp(path) }
    public func isCurrent(_ handle: Int32, path: String) -> Bool { base.isCurrent(handle, path: path) }
    public func lockForWriting(_ handle: Int32, path: String) throws { try base.lockForWriting(handle, path: path) }
}

/// Linux's syncfs(2) (not in Swift's Glibc module): flushes one file system.
@_silgen_name("syncfs")
private func weaveSyncfs(_ fd: Int32) -> Int32
