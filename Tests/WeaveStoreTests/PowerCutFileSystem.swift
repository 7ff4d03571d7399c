#if canImport(Glibc)
import Glibc
#endif
@testable import WeaveStore

/// The store's real file system (`PosixFileSystem`, hence the real `FileIO`)
/// on a `PowerCutDisk`, with the disk's power cut and injected failures at
/// hand: what the tests cut is the code that runs for users.
final class PowerCutFileSystem: FileSystem {
    let disk = PowerCutDisk()
    private let real: PosixFileSystem

    init() { real = PosixFileSystem(system: disk) }

    /// The system's reason for an injected failure.
    static let noSpace = String(cString: strerror(ENOSPC))
    static let ioError = String(cString: strerror(EIO))
    private static func code(_ reason: String) -> Int32 { reason == noSpace ? ENOSPC : EIO }
    private static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// The next append writes only its first `after` bytes, then fails with `reason`.
    var failNextAppend: (after: Int, reason: String)? {
        get { disk.failWrite.map { ($0.after, Self.reason($0.errno)) } }
        set { disk.failWrite = newValue.map { ($0.after, Self.code($0.reason)) } }
    }
    /// The next fsync of a file fails with this reason.
    var failNextSync: String? {
        get { disk.failFsync.map(Self.reason) }
        set { disk.failFsync = newValue.map(Self.code) }
    }
    /// The next cut-back (ftruncate) fails with this reason.
    var failNextTruncate: String? {
        get { disk.failTruncate.map(Self.reason) }
        set { disk.failTruncate = newValue.map(Self.code) }
    }
    var failures: Int { disk.failures }
    var syncs: Int { disk.syncs }

    func powerCut() { disk.powerCut() }
    func install(_ path: String, _ bytes: [UInt8]) { disk.install(path, bytes) }
    func contents(_ path: String) -> [UInt8]? { disk.contents(path) }

    // MARK: FileSystem, the real one

    func readAll(_ path: String) throws -> [UInt8]? { try real.readAll(path) }
    func exists(_ path: String) -> Bool { real.exists(path) }
    func isEmptyFile(_ path: String) -> Bool { real.isEmptyFile(path) }
    func openForAppend(_ path: String, createNew: Bool, action: String) throws -> Int32 {
        try real.openForAppend(path, createNew: createNew, action: action)
    }
    func append(_ handle: Int32, _ bytes: [UInt8], path: String) throws { try real.append(handle, bytes, path: path) }
    func sync(_ handle: Int32, path: String) throws { try real.sync(handle, path: path) }
    func truncate(_ handle: Int32, to length: Int, path: String) throws { try real.truncate(handle, to: length, path: path) }
    func close(_ handle: Int32) { real.close(handle) }
    func syncDirectory(of path: String) throws { try real.syncDirectory(of: path) }
    func rename(_ from: String, _ to: String) throws { try real.rename(from, to) }
    func remove(_ path: String) throws { try real.remove(path) }
    func writeAtomically(_ path: String, _ bytes: [UInt8]) throws { try real.writeAtomically(path, bytes) }
    func stamp(_ path: String) -> FileStamp? { real.stamp(path) }
    func isCurrent(_ handle: Int32, path: String) -> Bool { real.isCurrent(handle, path: path) }
    func lockForWriting(_ handle: Int32, path: String) throws { try real.lockForWriting(handle, path: path) }
}
