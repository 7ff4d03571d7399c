import Foundation
import Testing
import WeaveCore
import WeaveStore
import WeaveTestSupport

/// Issue 30, defect 1 as the user met it: a real full disk (a 300 KB tmpfs)
/// while editing in an 80×24 tmux pane. The status line must say "history
/// NOT saved" while the disk is full (not "saving…", not "history saved"),
/// the failure must stay said, and once space is freed the history must hold
/// everything typed, once, with no damage in the middle.
///
/// Needs tmux and permission to mount a tmpfs (root, or a container allowed
/// to mount); elsewhere skipped with the reason, and under CI=true it fails.
/// `HistoryFailureTests` checks the same with an ENOSPC injected through the
/// file layer, which runs everywhere.
enum SmallDisk {
    /// Whether a tmpfs can be mounted here (tried on a scratch folder).
    static var canMount: Bool {
        guard geteuid() == 0, let dir = try? TempDir("mountprobe") else { return false }
        guard (try? Tmux.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir.path], capture: false))?.status == 0 else { return false }
        _ = try? Tmux.run(["umount", dir.path], capture: false)
        return true
    }

    static var testsRun: Bool { (TestEnvironment.hasTmux && canMount) || TestEnvironment.isCI }
}

@Suite(.serialized, .enabled(if: SmallDisk.testsRun, "needs tmux and a mountable tmpfs (root): skipped (under CI=true it fails)"))
struct FullDiskTmuxTests {
    @Test func aFullDiskIsSaidAndTheHistoryStaysWhole() throws {
        try TestEnvironment.requireTmux()
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("fulldisk")
        let mounted = try Tmux.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", dir.path])
        guard mounted.status == 0 else {
            Issue.record("cannot mount a tmpfs: \(mounted.output)")
            return
        }
        defer { _ = try? Tmux.run(["umount", "-l", dir.path], capture: false) }
        let file = dir.file("f.txt"), sidecar = OpLog.sidecarPath(for: file)
        let base = (0 ..< 1200).map { String(format: "line %04d abcdefghijabcdefghijabcdefghij", $0) }.joined(separator: "\n")
        let original = String(base.prefix(48_000)) + "\n"
        try original.write(toFile: file, atomically: false, encoding: .utf8)
        let tmux = try Tmux(command: "sh -c 'cd \(dir.path) && exec \(weave) edit f.txt'")
        defer { tmux.kill() }
        try tmux.waitFor("history saved")
        // Fill the disk: the filler stops at "No space left on device".
        _ = try Tmux.run(["sh", "-c", "cat /dev/zero > '\(dir.file("filler"))'"], capture: false)
        var typed = ""
        for i in 0 ..< 40 where !tmux.capture().contains("history NOT saved") {
            let word = "full\(i) "
            tmux.sendText(word)
            typed += word
            usleep(120_000)
        }
        var screen = try tmux.waitFor("history NOT saved")
        #expect(screen.contains("No space left on device"), "\(screen)")
        // More typing while full: the status still says so, and so does the message line 2.5 s later.
        tmux.sendText("more ")
        typed += "more "
        usleep(2_500_000)
        screen = tmux.capture()
        #expect(screen.contains("history NOT saved") && screen.contains("No space left on device"), "the failure is no longer said:\n\(screen)")
        #expect(!screen.contains("history saved"), "\(screen)")
        // Space again: the next retry writes everything.
        try FileManager.default.removeItem(atPath: dir.file("filler"))
        screen = try tmux.waitFor("history saved", seconds: 5)
        #expect(screen.contains("History saved again"), "\(screen)")
        tmux.sendText("after")
        typed += "after"
        try tmux.waitFor("after")
        try tmux.waitFor("history saved")
        tmux.sendKeys("C-s")
        try waitForFile(file, toHold: typed + original)
        tmux.sendKeys("C-q")
        try tmux.waitFor("WEAVE-EXIT=0")
        let loaded = try OpLog.load(path: sidecar)
        #expect(loaded.tornTailBytes == 0)
        #expect(try loaded.document(as: ReplicaID(1)).text == typed + original)
        let reopened = try StoredDocument(file: file, author: "check")
        #expect(reopened.doc.text == typed + original && !reopened.isModified)
    }
}
