import Foundation
import Testing
import WeaveStore
import WeaveTestSupport

/// Issue 29: a shared folder's file layer never leaves its root and never
/// follows a symbolic link, whatever the path asks.
@Suite struct ConfinedFileSystemTests {
    /// ROOT with a.txt and sub/b.txt; OUTSIDE (beside it) with secret.txt;
    /// ROOT/link.txt → OUTSIDE/secret.txt, ROOT/linkdir → OUTSIDE, ROOT/fifo a pipe.
    static func fence() throws -> (TempDir, root: String, outside: String) {
        let dir = try TempDir("confined")
        let root = dir.path + "/root", outside = dir.path + "/outside"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "alpha\n".write(toFile: root + "/a.txt", atomically: true, encoding: .utf8)
        try "bravo\n".write(toFile: root + "/sub/b.txt", atomically: true, encoding: .utf8)
        try "API_KEY=outside\n".write(toFile: outside + "/secret.txt", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: root + "/link.txt", withDestinationPath: outside + "/secret.txt")
        try fm.createSymbolicLink(atPath: root + "/linkdir", withDestinationPath: outside)
        #expect(mkfifo(root + "/fifo", 0o644) == 0)
        return (dir, root, outside)
    }

    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    @Test func readsAndWritesInsideTheRoot() throws {
        let (dir, root, _) = try Self.fence()
        _ = dir
        let fs = ConfinedFileSystem(root: root)
        #expect(try fs.readAll(root + "/a.txt") == Array("alpha\n".utf8))
        #expect(try fs.readAll(root + "/sub//b.txt") == Array("bravo\n".utf8))
        #expect(try fs.readAll(root + "/none.txt") == nil)
        try fs.writeAtomically(root + "/sub/c.txt", Array("charlie\n".utf8))
        #expect(Self.read(root + "/sub/c.txt") == "charlie\n")
        try fs.makeFolders(root + "/new/deeper")
        try fs.rename(root + "/sub/c.txt", root + "/new/deeper/c.txt")
        #expect(Self.read(root + "/new/deeper/c.txt") == "charlie\n")
        try fs.remove(root + "/new/deeper/c.txt")
        #expect(!fs.exists(root + "/new/deeper/c.txt"))
        let h = try fs.openForAppend(root + "/log", createNew: true, action: "create")
        try fs.append(h, Array("x".utf8), path: root + "/log")
        #expect(fs.isCurrent(h, path: root + "/log"))
        fs.close(h)
    }

    /// Every way out: a file that is a link, a folder that is a link, "..",
    /// a path outside the root, a pipe. Nothing outside changes; each throws.
    @Test func neverFollowsALinkNorLeavesTheRoot() throws {
        let (dir, root, outside) = try Self.fence()
        _ = dir
        let fs = ConfinedFileSystem(root: root)
        #expect(throws: StoreError.self) { try fs.readAll(root + "/link.txt") }
        #expect(throws: StoreError.self) { try fs.writeAtomically(root + "/link.txt", Array("pwned\n".utf8)) }
        #expect(throws: StoreError.self) { try fs.openForAppend(root + "/link.txt", createNew: false, action: "open") }
        #expect(throws: StoreError.self) { try fs.readAll(root + "/linkdir/secret.txt") }
        #expect(throws: StoreError.self) { try fs.writeAtomically(root + "/linkdir/pwned.txt", Array("pwned\n".utf8)) }
        #expect(throws: StoreError.self) { try fs.makeFolders(root + "/linkdir/deeper") }
        #expect(throws: StoreError.self) { try fs.rename(root + "/a.txt", root + "/linkdir/a.txt") }
        #expect(throws: StoreError.self) { try fs.rename(root + "/linkdir/secret.txt", root + "/stolen.txt") }
        #expect(throws: StoreError.self) { try fs.readAll(root + "/sub/../../outside/secret.txt") }
        #expect(throws: StoreError.self) { try fs.readAll(outside + "/secret.txt") }
        #expect(throws: StoreError.self) { try fs.readAll(root + "/fifo") }  // refused, not blocked on
        try fs.remove(root + "/linkdir/secret.txt")  // nothing through a link: a no-op
        #expect(!fs.exists(root + "/linkdir/secret.txt"))
        #expect(fs.exists(root + "/link.txt"))  // the link itself is there (and is not a file to open)
        #expect(Self.read(outside + "/secret.txt") == "API_KEY=outside\n")
        #expect(!FileManager.default.fileExists(atPath: outside + "/pwned.txt"))
        #expect(!FileManager.default.fileExists(atPath: outside + "/a.txt"))
        #expect(Self.read(root + "/a.txt") == "alpha\n")
    }
}
