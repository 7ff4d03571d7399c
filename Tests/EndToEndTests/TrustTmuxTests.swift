import Foundation
import Testing
import WeaveTestSupport

/// The trust issue's reports, tried as a user would: the real `weave` in an
/// 80×24 tmux pane. Each checks the saved file byte for byte.
@Suite(.serialized, .enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed: end-to-end trust tests skipped (under CI=true they fail)"))
struct TrustTmuxTests {
    func bytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }

    /// Type two lines, save, quit; cut 1, 7 or 20 bytes off the history; reopen:
    /// the text is there once, saved, and quitting leaves FILE as it was.
    @Test(arguments: [1, 7, 20])
    func aTornHistoryTailNeverDoublesTheText(cut: Int) throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("torn")
        let file = dir.file("c.txt")
        let first = try Tmux(command: "\(weave) edit \(file)")
        defer { first.kill() }
        try first.waitFor("[saved]")
        first.sendText("first typed line")
        first.sendKeys("Enter")
        first.sendText("second typed line")
        try first.waitFor("second typed line")
        first.sendKeys("C-s")
        try waitForFile(file, toHold: "first typed line\nsecond typed line")
        first.sendKeys("C-q")
        try first.waitFor("WEAVE-EXIT=0")
        let sidecar = dir.file(".c.txt.weave")
        let whole = bytes(sidecar)
        try Data(whole.prefix(whole.count - cut)).write(to: URL(fileURLWithPath: sidecar))

        let again = try Tmux(command: "\(weave) edit \(file)")
        defer { again.kill() }
        let screen = try again.waitFor("Ln 1, Col 1")
        #expect(screen.components(separatedBy: "first typed line").count == 2, "the text is shown once:\n\(screen)")
        #expect(screen.components(separatedBy: "second typed line").count == 2, "the text is shown once:\n\(screen)")
        #expect(screen.contains("[saved]"), "FILE and the shown text agree:\n\(screen)")
        again.sendKeys("C-q")
        try again.waitFor("WEAVE-EXIT=0")
        #expect(bytes(file) == Array("first typed line\nsecond typed line".utf8))
    }

    /// `echo X >> FILE` while FILE is open, then Ctrl-S: the line is merged
    /// with what was typed (the message says so), and the next Ctrl-S saves both.
    @Test func aChangeOnDiskWhileOpenIsKept() throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("disk")
        let file = dir.file("d.txt")
        try "line one\n".write(toFile: file, atomically: false, encoding: .utf8)
        let tmux = try Tmux(command: "\(weave) edit \(file)")
        defer { tmux.kill() }
        try tmux.waitFor("[saved]")
        tmux.sendText("typed ")
        try tmux.waitFor("[modified]")
        let appended = try Tmux.run(["sh", "-c", "echo X >> \(file)"], capture: false)
        #expect(appended.status == 0)
        tmux.sendKeys("C-s")
        let screen = try tmux.waitFor("changed on disk")
        #expect(screen.contains("typed line one"), "\(screen)")
        #expect(bytes(file) == Array("line one\nX\n".utf8), "nothing written before the merge was shown")
        tmux.sendKeys("C-s")
        try waitForFile(file, toHold: "typed line one\nX\n")
        tmux.sendKeys("C-q")
        try tmux.waitFor("WEAVE-EXIT=0")
        let log = try Tmux.run([weave, "log", file])
        #expect(log.output.contains("disk"), "the disk change is in the history:\n\(log.output)")
    }

    /// A CRLF file shows no ^M, End stops before the line break, Enter makes a
    /// CRLF line, and the file is written back with CRLF throughout.
    @Test func crlfFilesComeBackWithCrlf() throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("crlf")
        let file = dir.file("w.txt")
        try Data("one\r\ntwo\r\n".utf8).write(to: URL(fileURLWithPath: file))
        let tmux = try Tmux(command: "\(weave) edit \(file)")
        defer { tmux.kill() }
        let screen = try tmux.waitFor("[saved]")
        #expect(!screen.contains("^M"), "\(screen)")
        tmux.sendKeys("End")
        try tmux.waitFor("Ln 1, Col 4")
        tmux.sendKeys("Enter")
        tmux.sendText("new")
        try tmux.waitFor("Ln 2, Col 4")
        tmux.sendKeys("C-s")
        try waitForFile(file, toHold: "one\r\nnew\r\ntwo\r\n")
        tmux.sendKeys("C-q")
        try tmux.waitFor("WEAVE-EXIT=0")
        #expect(bytes(file) == Array("one\r\nnew\r\ntwo\r\n".utf8))
    }

    /// A file in a folder this user cannot write: weave offers to show it
    /// read-only (rather than refusing), refuses every edit, and writes nothing.
    @Test(.enabled(if: geteuid() == 0 || TestEnvironment.isCI, "needs root to run weave as another user"))
    func anUnwritableFolderOffersReadOnly() throws {
        guard geteuid() == 0 else { Issue.record("CI runs as root; this run is not, so the other user could not be tried"); return }
        // The other user must be able to run weave.
        let bin = try TempDir("robin")
        let weave = try Tmux.weaveBinaryForAnyUser(in: bin.path)
        let dir = try TempDir("rodir")
        let file = dir.file("f.txt")
        try "hello\nworld\n".write(toFile: file, atomically: false, encoding: .utf8)
        #expect(chmod(dir.path, 0o555) == 0)
        defer { chmod(dir.path, 0o755) }
        let tmux = try Tmux(command: "setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp \(weave) edit \(file)")
        defer { tmux.kill() }
        try tmux.waitFor("Open it read-only instead? [y/N]")
        tmux.sendKeys("y", "Enter")
        let screen = try tmux.waitFor("[read-only]")
        #expect(screen.contains("hello"), "\(screen)")
        tmux.sendText("x")
        try tmux.waitFor("Nothing was changed")
        tmux.sendKeys("C-s")
        tmux.sendKeys("C-q")
        try tmux.waitFor("WEAVE-EXIT=0")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["f.txt"])
        #expect(bytes(file) == Array("hello\nworld\n".utf8))
    }

    /// A file this user may not read: a clear error, exit 1, nothing written
    /// beside it (and no read-only offer, which could not show it either).
    @Test(.enabled(if: geteuid() == 0 || TestEnvironment.isCI, "needs root to run weave as another user"))
    func anUnreadableFileIsRefusedClearly() throws {
        guard geteuid() == 0 else { Issue.record("CI runs as root; this run is not, so the other user could not be tried"); return }
        let bin = try TempDir("robin")
        let weave = try Tmux.weaveBinaryForAnyUser(in: bin.path)
        let dir = try TempDir("secret")
        #expect(chmod(dir.path, 0o777) == 0)
        let file = dir.file("secret.txt")
        try "private\n".write(toFile: file, atomically: false, encoding: .utf8)
        #expect(chmod(file, 0o600) == 0)
        let tmux = try Tmux(command: "setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp \(weave) edit \(file)")
        defer { tmux.kill() }
        let screen = try tmux.waitFor("WEAVE-EXIT=1")
        #expect(screen.replacingOccurrences(of: "\n", with: "").contains("cannot read \(file): Permission denied"), "\(screen)")
        #expect(!screen.contains("read-only instead"), "\(screen)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["secret.txt"])
    }
}
