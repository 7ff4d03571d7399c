import Foundation
import Testing
import WeaveTestSupport

/// One live writer per file, across processes (issue 30, defect 2): a second
/// `weave` that would write the same history is refused before it writes
/// anything, with a sentence naming the first (PID and command line); a lock
/// left by a process killed with SIGKILL never blocks.
@Suite(.serialized, .enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed: writer-lock tests skipped (under CI=true they fail)"))
struct WriterLockTests {
    func bytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }

    @Test func aSecondEditOfTheSameFileIsRefusedAndADeadWriterNeverBlocks() throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("lock")
        let file = dir.file("two.txt"), sidecar = dir.file(".two.txt.weave")
        try "base\n".write(toFile: file, atomically: false, encoding: .utf8)
        let first = try Tmux(command: "sh -c 'cd \(dir.path) && exec \(weave) edit two.txt'")
        defer { first.kill() }
        try first.waitFor("[saved]")
        first.sendText("AAA ")
        try first.waitFor("history saved")
        let pid = try first.weavePID()
        let fileBefore = bytes(file), historyBefore = bytes(sidecar)
        #expect(historyBefore.count > 16)

        let second = try Tmux(command: "sh -c 'cd \(dir.path) && exec \(weave) edit two.txt'")
        defer { second.kill() }
        let screen = try second.waitFor("WEAVE-EXIT=")
        let said = screen.replacingOccurrences(of: "\n", with: "")
        #expect(said.contains("two.txt is being edited by another weave process (PID \(pid): weave edit two.txt)"), "\(screen)")
        #expect(said.contains("--read-only"), "\(screen)")
        #expect(!said.contains("WEAVE-EXIT=0"), "\(screen)")
        #expect(bytes(file) == fileBefore && bytes(sidecar) == historyBefore, "the refused process wrote")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == ["two.txt", ".two.txt.weave"])

        // The first still writes alone; then it dies without a chance to unlock.
        first.sendText("BBB ")
        try first.waitFor("AAA BBB base")
        try first.waitFor("history saved")
        #expect(kill(pid, SIGKILL) == 0)
        try first.waitFor("WEAVE-EXIT=")

        let third = try Tmux(command: "sh -c 'cd \(dir.path) && exec \(weave) edit two.txt'")
        defer { third.kill() }
        let opened = try third.waitFor("Ln 1, Col 1")
        #expect(opened.contains("AAA BBB base"), "\(opened)")
        #expect(opened.components(separatedBy: "AAA").count == 2, "the text is there once:\n\(opened)")
        third.sendText("C")
        try third.waitFor("history saved")
        third.sendKeys("C-q")
        third.sendKeys("C-q")
        try third.waitFor("WEAVE-EXIT=0")
    }

    /// `weave host doc.txt` and then `weave edit doc.txt`: the editor is
    /// refused, naming the host's process; the host's history is untouched.
    @Test func anEditWhileTheFileIsHostedIsRefused() throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("lockhost")
        let file = dir.file("doc.txt"), sidecar = dir.file(".doc.txt.weave")
        try "base\n".write(toFile: file, atomically: false, encoding: .utf8)
        let host = try Tmux(command: "sh -c 'cd \(dir.path) && WEAVE_CONFIG_DIR=\(dir.path)/.cfg exec \(weave) host doc.txt --port 0'")
        defer { host.kill() }
        try host.waitFor("history saved")
        host.sendText("AAA ")
        try host.waitFor("AAA base")
        try host.waitFor("history saved")
        let pid = try host.weavePID()
        let before = (bytes(file), bytes(sidecar))
        let edit = try Tmux(command: "sh -c 'cd \(dir.path) && exec \(weave) edit doc.txt'")
        defer { edit.kill() }
        let screen = try edit.waitFor("WEAVE-EXIT=")
        let said = screen.replacingOccurrences(of: "\n", with: "")
        #expect(said.contains("doc.txt is being edited by another weave process (PID \(pid): weave host doc.txt --port 0)"), "\(screen)")
        #expect(bytes(file) == before.0 && bytes(sidecar) == before.1, "the refused process wrote")
    }
}
