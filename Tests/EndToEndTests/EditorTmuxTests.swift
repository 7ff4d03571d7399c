import Foundation
import Testing
import WeaveTestSupport

/// End-to-end: the real `weave` binary in a detached tmux session, driven with
/// send-keys and read with capture-pane. Every wait is bounded.
@Suite(.serialized, .enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed: end-to-end editor tests skipped (under CI=true they fail)"))
struct EditorTmuxTests {
    @Test func typeUnicodeSaveQuit() throws {
        let dir = try TempDir()
        let file = dir.path + "/new.txt"
        let tmux = try Tmux(command: "\(try Tmux.weaveBinary()) edit \(file)")
        defer { tmux.kill() }
        try tmux.waitFor("[saved]")
        tmux.sendText("héllo wörld")
        tmux.sendKeys("Enter")
        tmux.sendText("日本語 and 😀 emoji")
        let screen = try tmux.waitFor("日本語 and 😀 emoji")
        #expect(screen.contains("héllo wörld"))
        #expect(screen.contains("[modified]"))
        #expect(screen.contains("Ln 2, Col 16"))
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "", "the file is created on open, written on Ctrl-S")
        tmux.sendKeys("C-s")
        try tmux.waitFor("Saved new.txt")
        tmux.sendKeys("C-q")
        try tmux.waitFor("WEAVE-EXIT=0")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "héllo wörld\n日本語 and 😀 emoji")
    }

    /// The trust issue's two reports, typed for real: undo puts cut lines and
    /// forward-deleted text back in their order, and the saved file says so.
    @Test func undoRestoresCutLinesAndDeletionsInOrder() throws {
        let dir = try TempDir()
        let file = dir.file("undo.txt")
        try "AAA\nBBB\nCCC\nDDD\n".write(toFile: file, atomically: false, encoding: .utf8)
        let tmux = try Tmux(command: "\(try Tmux.weaveBinary()) edit \(file)")
        defer { tmux.kill() }
        try tmux.waitFor("[saved]")
        tmux.sendKeys("C-k", "C-k")
        try tmux.waitFor("[modified]")
        tmux.sendKeys("C-z", "C-z")
        try tmux.waitFor("AAA\nBBB\nCCC")
        // abcdef on a line of its own: Delete ×3, Right, Left, Delete ×3, then two undos.
        tmux.sendKeys("C-End")
        tmux.sendText("abcdef")
        tmux.sendKeys("Home", "Delete", "Delete", "Delete", "Right", "Left", "Delete", "Delete", "Delete")
        tmux.sendKeys("C-z", "C-z")
        try tmux.waitFor("DDD\nabcdef")
        tmux.sendKeys("C-s")
        try tmux.waitFor("Saved undo.txt")
        tmux.sendKeys("C-q")
        try tmux.waitFor("WEAVE-EXIT=0")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "AAA\nBBB\nCCC\nDDD\nabcdef")
    }

    @Test func editMiddleOfExistingFile() throws {
        let dir = try TempDir()
        let file = dir.path + "/existing.txt"
        let lines = (1 ... 100).map { "line \($0) ✓" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: false, encoding: .utf8)
        let tmux = try Tmux(command: "\(try Tmux.weaveBinary()) edit \(file)")
        defer { tmux.kill() }
        try tmux.waitFor("line 22 ✓")
        tmux.sendKeys("C-f")
        tmux.sendText("line 50 ")
        tmux.sendKeys("Enter", "End")
        tmux.sendText(" edited 日本")
        try tmux.waitFor("line 50 ✓ edited 日本")
        tmux.sendKeys("C-q")
        try tmux.waitFor("existing.txt unchanged, edits in history")
        tmux.sendKeys("C-s")
        try tmux.waitFor("Saved existing.txt")
        tmux.sendKeys("C-q")
        try tmux.waitFor("WEAVE-EXIT=0")
        var expected = lines
        expected[49] += " edited 日本"
        #expect(try String(contentsOfFile: file, encoding: .utf8) == expected.joined(separator: "\n") + "\n")
    }

    @Test func sigtermRestoresTerminal() throws {
        let dir = try TempDir()
        let tmux = try Tmux(command: "\(try Tmux.weaveBinary()) edit \(dir.path)/sig.txt")
        defer { tmux.kill() }
        try tmux.waitFor("[saved]")
        tmux.sendText("abc")
        try tmux.waitFor("[modified]")
        // The pane runs a shell whose one child is weave.
        let weave = try tmux.weavePID()
        #expect(Glibc.kill(weave, SIGTERM) == 0)
        let screen = try tmux.waitFor("WEAVE-EXIT=")
        #expect(screen.contains("WEAVE-EXIT=143"))
        #expect(try String(contentsOfFile: dir.path + "/sig.txt", encoding: .utf8) == "", "the plain text is written only on Ctrl-S")
    }

    /// SIGTERM or SIGHUP (a closed terminal window) while edits wait for the
    /// group commit: they are made durable before the process dies of the signal.
    @Test(arguments: [SIGTERM, SIGHUP])
    func terminationSignalFlushesTheHistoryFirst(_ sig: Int32) throws {
        let dir = try TempDir()
        let file = dir.path + "/late.txt"
        let weave = try Tmux.weaveBinary()
        // A 10 s group commit: the typed text is certainly not flushed when the signal comes.
        let tmux = try Tmux(command: "env WEAVE_GROUP_COMMIT_MS=10000 \(weave) edit \(file)")
        defer { tmux.kill() }
        try tmux.waitFor("history saved")
        tmux.sendText("typed just before the end")
        try tmux.waitFor("saving…")
        #expect(Glibc.kill(try tmux.weavePID(), sig) == 0)
        let screen = try tmux.waitFor("WEAVE-EXIT=")
        #expect(screen.contains("WEAVE-EXIT=\(128 + sig)"), "dies of the signal: \(screen)")
        let shown = try Tmux.run([weave, "show", file])
        #expect(shown.status == 0)
        #expect(shown.output.hasPrefix("typed just before the end"), "\(shown.output)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "", "the plain text is still written only on Ctrl-S")
    }

    /// The history is durable once the status line says so: typed text
    /// survives `kill -9` without Ctrl-S, and the plain file is not rewritten.
    @Test func killNineKeepsTypedText() throws {
        let dir = try TempDir()
        let file = dir.path + "/durable.txt"
        try "first line\n".write(toFile: file, atomically: false, encoding: .utf8)
        let before = try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date
        let tmux = try Tmux(command: "\(try Tmux.weaveBinary()) edit \(file)")
        defer { tmux.kill() }
        try tmux.waitFor("history saved")
        tmux.sendKeys("C-End")
        tmux.sendText("typed 日本 then killed")
        try tmux.waitFor("typed 日本 then killed")
        try tmux.waitFor("history saved")
        let weave = try tmux.weavePID()
        #expect(Glibc.kill(weave, SIGKILL) == 0)
        try tmux.waitFor("WEAVE-EXIT=137")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "first line\n", "Ctrl-S was never pressed")
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date == before)

        let again = try Tmux(command: "\(try Tmux.weaveBinary()) edit \(file)")
        defer { again.kill() }
        let screen = try again.waitFor("typed 日本 then killed")
        #expect(screen.contains("first line"))
        #expect(screen.contains("[modified]"), "the history holds text the file does not")
        again.sendKeys("C-s")
        try again.waitFor("Saved durable.txt")
        again.sendKeys("C-q")
        try again.waitFor("WEAVE-EXIT=0")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "first line\ntyped 日本 then killed")
    }

    /// F2, step, play, jump, restore: the live document equals the chosen
    /// version as `weave show --at N` prints it.
    @Test func timeTravelStepPlayRestore() throws {
        let dir = try TempDir()
        let file = dir.path + "/tt.txt"
        try "alpha\n".write(toFile: file, atomically: false, encoding: .utf8)
        let weave = try Tmux.weaveBinary()
        let tmux = try Tmux(command: "\(weave) edit \(file)")
        defer { tmux.kill() }
        try tmux.waitFor("history saved")
        tmux.sendKeys("C-End")
        tmux.sendText("xyz")                      // edits 2, 3, 4 after the imported text
        try tmux.waitFor("xyz")
        tmux.sendKeys("F2")
        try tmux.waitFor("Time travel  4/4")
        tmux.sendKeys("Left", "Left", "Left")
        try tmux.waitFor("Time travel  1/4")
        tmux.sendText(" ")                        // play to the end
        try tmux.waitFor("Time travel  4/4")
        tmux.sendText("3")
        tmux.sendKeys("Enter")
        try tmux.waitFor("Time travel  3/4")
        tmux.sendText("r")
        try tmux.waitFor("after edit 3? (y/n)")
        tmux.sendText("y")
        try tmux.waitFor("Restored the version after edit 3")
        try tmux.waitFor("Time travel  3/5")      // the restore is an edit of the history too
        tmux.sendKeys("Escape")
        try tmux.waitFor("history saved")
        tmux.sendKeys("C-s")
        try tmux.waitFor("Saved tt.txt")
        tmux.sendKeys("C-q")
        try tmux.waitFor("WEAVE-EXIT=0")
        let version3 = try Tmux.run([weave, "show", file, "--at", "3"])
        #expect(version3.status == 0)
        #expect(version3.output == "alpha\nxy")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == version3.output)
        // The history kept everything before the restore.
        #expect(try Tmux.run([weave, "show", file, "--at", "4"]).output == "alpha\nxyz")
        #expect(try Tmux.run([weave, "show", file]).output == "alpha\nxy")
    }

    @Test func replayIsReadOnly() throws {
        let dir = try TempDir()
        let file = dir.path + "/r.txt"
        try "one two\n".write(toFile: file, atomically: false, encoding: .utf8)
        let weave = try Tmux.weaveBinary()
        let edit = try Tmux(command: "\(weave) edit \(file)")
        defer { edit.kill() }
        try edit.waitFor("history saved")
        edit.sendKeys("C-q")
        try edit.waitFor("WEAVE-EXIT=0")
        let sidecar = dir.path + "/.r.txt.weave"
        let before = try Data(contentsOf: URL(fileURLWithPath: sidecar))
        let tmux = try Tmux(command: "\(weave) replay \(file)")
        defer { tmux.kill() }
        try tmux.waitFor("Time travel  1/1")
        tmux.sendKeys("Left")
        try tmux.waitFor("Time travel  0/1")
        tmux.sendText("r")
        try tmux.waitFor("restore is disabled")
        tmux.sendKeys("Escape")
        try tmux.waitFor("WEAVE-EXIT=0")
        #expect(try Data(contentsOf: URL(fileURLWithPath: sidecar)) == before)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "one two\n")
    }

    @Test func binaryFileRefused() throws {
        let dir = try TempDir()
        let file = dir.path + "/blob.bin"
        let bytes: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 0, 1, 2, 0xFF]
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let tmux = try Tmux(command: "\(try Tmux.weaveBinary()) edit \(file)")
        defer { tmux.kill() }
        let screen = try tmux.waitFor("WEAVE-EXIT=")
        #expect(screen.replacingOccurrences(of: "\n", with: "").contains("is not a text file Weave can edit"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/.blob.bin.weave"), "no history is created")
        #expect(!screen.contains("WEAVE-EXIT=0"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == Data(bytes))
    }
}
