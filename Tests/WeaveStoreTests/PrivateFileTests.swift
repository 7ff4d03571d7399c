#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import WeaveStore

/// `AtomicFile.writePrivate`, the one way Weave writes a private key or its
/// invitations: the file is 0600 from the moment it is created (the temporary
/// file included, even where one was left from before) and after the write,
/// whatever the file it replaces was; a write that fails at any system call,
/// or whose power goes there, leaves the old file whole. Runs the real
/// `FileIO.writeAtomically` on `PowerCutDisk`.
struct PrivateFileTests {
    static let path = "/config/identity-key.pem"
    static let old = Array("old key, long enough to be torn\n".utf8)
    static let new = Array("new key\n".utf8)

    /// Passes every call on to a `PowerCutDisk`, noting the mode of each file
    /// right after it is opened for creation and before each write to it.
    final class ModeWatch: SystemCalls, @unchecked Sendable {
        let disk: PowerCutDisk
        /// The path and mode of every file opened with O_CREAT, as it was opened.
        private(set) var created: [(path: String, mode: mode_t)] = []
        /// The mode of the file at each write.
        private(set) var written: [mode_t] = []

        init(_ disk: PowerCutDisk) { self.disk = disk }

        private func mode(_ fd: Int32) -> mode_t? {
            var st = Glibc.stat()
            return disk.fstat(fd, &st) == 0 ? st.st_mode & 0o7777 : nil
        }

        func open(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
            let fd = disk.open(path, flags, mode)
            if fd >= 0, flags & O_CREAT != 0, let m = self.mode(fd) { created.append((path, m)) }
            return fd
        }
        func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int {
            if let m = mode(fd) { written.append(m) }
            return disk.write(fd, buffer)
        }
        func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int { disk.read(fd, buffer) }
        func fsync(_ fd: Int32) -> Int32 { disk.fsync(fd) }
        func ftruncate(_ fd: Int32, _ length: off_t) -> Int32 { disk.ftruncate(fd, length) }
        func close(_ fd: Int32) -> Int32 { disk.close(fd) }
        func rename(_ from: String, _ to: String) -> Int32 { disk.rename(from, to) }
        func unlink(_ path: String) -> Int32 { disk.unlink(path) }
        func stat(_ path: String, _ st: inout stat) -> Int32 { disk.stat(path, &st) }
        func fstat(_ fd: Int32, _ st: inout stat) -> Int32 { disk.fstat(fd, &st) }
        func fchmod(_ fd: Int32, _ mode: mode_t) -> Int32 { disk.fchmod(fd, mode) }
        func fchown(_ fd: Int32, _ owner: uid_t, _ group: gid_t) -> Int32 { disk.fchown(fd, owner, group) }
        func readlink(_ path: String, _ buffer: UnsafeMutableBufferPointer<CChar>) -> Int { disk.readlink(path, buffer) }
        func lockExclusive(_ fd: Int32) -> Int32 { disk.lockExclusive(fd) }
    }

    static func mode(_ disk: PowerCutDisk, _ path: String) -> mode_t? {
        var st = Glibc.stat()
        return disk.stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
    }

    /// The temporary file a private write of `path` uses, found by doing one.
    static func temporaryPath() throws -> String {
        let watch = ModeWatch(PowerCutDisk())
        try AtomicFile.writePrivate(path, new, system: watch)
        let temporary = try #require(watch.created.first?.path)
        #expect(temporary != path)
        return temporary
    }

    /// Over a file that was 0644, and with a temporary file of 0644 left by a
    /// write that died: every file created is 0600 as it is created, every
    /// byte goes to a 0600 file, and the file is 0600 after.
    @Test func aPrivateFileIsOwnerOnlyFromItsCreation() throws {
        let stale = try Self.temporaryPath()
        let disk = PowerCutDisk()
        disk.install(Self.path, Self.old)
        disk.install(stale, Array("left from before".utf8))
        #expect(Self.mode(disk, Self.path) == 0o644 && Self.mode(disk, stale) == 0o644)
        let watch = ModeWatch(disk)
        try AtomicFile.writePrivate(Self.path, Self.new, system: watch)
        #expect(!watch.created.isEmpty && !watch.written.isEmpty)
        for c in watch.created {
            #expect(c.mode == 0o600, "\(c.path) was \(String(c.mode, radix: 8)) when opened")
        }
        #expect(watch.written.allSatisfy { $0 == 0o600 }, "modes at the writes: \(watch.written.map { String($0, radix: 8) })")
        #expect(disk.contents(Self.path) == Self.new)
        #expect(Self.mode(disk, Self.path) == 0o600)
        #expect(disk.contents(stale) == nil, "the temporary file is gone")
    }

    /// The power goes at each system call of the write in turn (every call
    /// from there fails, as on a dying disk): the write throws, the file is
    /// still the old one, whole, and after the power cut it is the old one or
    /// the new one, whole; a write that returned keeps the new one. Then a
    /// write that runs out of space part-way.
    @Test func aPrivateWriteThatFailsAnywhereLeavesTheOldFileWhole() throws {
        var k = 0
        while true {
            let disk = PowerCutDisk()
            disk.install(Self.path, Self.old)
            disk.cut(afterCalls: k)
            do {
                try AtomicFile.writePrivate(Self.path, Self.new, system: disk)
                #expect(disk.contents(Self.path) == Self.new)
                // A write that returned is durable (only its last call, closing the directory, may have met the cut).
                let wasOff = disk.isOff
                disk.powerCut()
                #expect(disk.contents(Self.path) == Self.new, "cut after \(k) calls: the write returned, then the power went")
                guard wasOff else { break }
            } catch {
                let now = disk.contents(Self.path)
                #expect(now == Self.old || now == Self.new, "cut after \(k) calls: \(now.map { String(decoding: $0, as: UTF8.self) } ?? "no file")")
                disk.powerCut()
                let after = disk.contents(Self.path)
                #expect(after == Self.old || after == Self.new,
                        "cut after \(k) calls, then power cut: \(after.map { String(decoding: $0, as: UTF8.self) } ?? "no file")")
            }
            k += 1
            try #require(k < 100, "the write never succeeded")
        }
        #expect(k >= 6, "a private write is several calls (open, write, fsync, close, rename, directory fsync): \(k)")

        let temporary = try Self.temporaryPath()
        let disk = PowerCutDisk()
        disk.install(Self.path, Self.old)
        disk.failWrite = (after: 3, errno: ENOSPC)
        #expect(throws: StoreError.self) { try AtomicFile.writePrivate(Self.path, Self.new, system: disk) }
        #expect(disk.contents(Self.path) == Self.old)
        #expect(disk.contents(temporary) == nil, "the torn temporary file is removed")
    }

    /// `AtomicFile.appendPrivate` (the replica owners' file): created 0600
    /// with its header once, each line appended after it, and a line that
    /// returned survives a power cut right after, the first one included
    /// (the new file's directory entry is synced too).
    @Test func aPrivateAppendIsOwnerOnlyAndDurableOnceItReturns() throws {
        let disk = PowerCutDisk()
        let path = "/config/owners.replicas"
        let header = Array("weave-replicas 1\n".utf8)
        try AtomicFile.appendPrivate(path, Array("a\n".utf8), header: header, system: disk)
        disk.powerCut()
        #expect(disk.contents(path) == header + Array("a\n".utf8), "the first line and its header outlive a power cut")
        #expect(Self.mode(disk, path) == 0o600)
        try AtomicFile.appendPrivate(path, Array("b\n".utf8), header: header, system: disk)
        disk.powerCut()
        #expect(disk.contents(path) == header + Array("a\nb\n".utf8), "the header is written once")
    }
}
