import Foundation
import Testing

/// End-to-end: the real `weave` binary in a detached tmux session, driven with
/// send-keys and read with capture-pane. Every wait is bounded.
@Suite(.serialized, .enabled(if: Tmux.available, "tmux is not installed: end-to-end editor tests skipped"))
struct TmuxTests {
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
        try tmux.waitFor("Unsaved changes")
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

/// A temporary directory, removed when released.
final class TempDir {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "weave-test-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// One detached tmux server (own socket) running one command at 80x24.
struct Tmux {
    static var available: Bool { (try? run(["tmux", "-V"], capture: false))?.status == 0 }

    let socket: String

    /// The `weave` built next to this test bundle (`.build…/debug/weave`).
    static func weaveBinary() throws -> String {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        if dir.path.hasSuffix(".xctest/Contents/MacOS") {
            dir = dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        }
        let bin = dir.appendingPathComponent("weave").path
        guard FileManager.default.isExecutableFile(atPath: bin) else {
            throw TmuxError("no weave binary at \(bin): build it first (swift build)")
        }
        return bin
    }

    /// Starts `command` in a new session; the pane prints `WEAVE-EXIT=<status>`
    /// when it ends and stays up a while so the status can be read.
    init(command: String) throws {
        socket = "weave-test-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let shell = "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color \(command); s=$?; printf '\\nWEAVE-EXIT=%s\\n' $s; sleep 30"
        // The server it forks keeps inherited descriptors: give it no pipe to hold.
        let r = try Self.run(["tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "-x", "80", "-y", "24", shell],
                             capture: false)
        guard r.status == 0 else { throw TmuxError("tmux new-session failed with status \(r.status)") }
    }

    func sendText(_ s: String) { _ = try? Self.run(["tmux", "-L", socket, "send-keys", "-l", s]) }
    func sendKeys(_ keys: String...) { _ = try? Self.run(["tmux", "-L", socket, "send-keys"] + keys) }
    func capture() -> String { (try? Self.run(["tmux", "-L", socket, "capture-pane", "-p"]))?.output ?? "" }
    func kill() { _ = try? Self.run(["tmux", "-L", socket, "kill-server"], capture: false) }

    /// The pid of the command the pane's shell runs (its one child).
    func weavePID() throws -> pid_t {
        let shell = try Self.run(["tmux", "-L", socket, "display-message", "-p", "#{pane_pid}"])
            .output.trimmingCharacters(in: .whitespacesAndNewlines)
        let children = try String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
        guard let pid = children.split(separator: " ").first.flatMap({ pid_t($0) }) else {
            throw TmuxError("no child process under the pane's shell \(shell)")
        }
        return pid
    }

    /// Polls the screen until it contains `text`; throws after `seconds`.
    @discardableResult
    func waitFor(_ text: String, seconds: Double = 10) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var screen = ""
        while Date() < deadline {
            screen = capture()
            // A long line (the shell's "Killed …" note with a long path) wraps at
            // the pane's width: look in the unwrapped text too.
            if screen.contains(text) || screen.replacingOccurrences(of: "\n", with: "").contains(text) { return screen }
            usleep(50_000)
        }
        throw TmuxError("timed out after \(seconds)s waiting for \(text.debugDescription); screen:\n\(screen)")
    }

    /// Runs a command (found on PATH) to its end, with posix_spawn and waitpid
    /// (Foundation's Process can hang waiting for a child that forked a
    /// daemon). With `capture`, returns its stdout and stderr; without, they go
    /// to /dev/null.
    static func run(_ args: [String], capture: Bool = true) throws -> (status: Int32, output: String) {
        var fds: [Int32] = [-1, -1]
        if capture { guard pipe(&fds) == 0 else { throw TmuxError("pipe failed") } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if capture {
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
            posix_spawn_file_actions_addclose(&actions, fds[0])
            posix_spawn_file_actions_addclose(&actions, fds[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        // Start with no signal blocked: the mask is inherited by the tmux server
        // and everything it runs.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, args[0], &actions, &attr, argv, environ)
        if capture { close(fds[1]) }
        guard rc == 0 else {
            if capture { close(fds[0]) }
            throw TmuxError("cannot run \(args[0]): error \(rc)")
        }
        var output: [UInt8] = []
        if capture {
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fds[0], &buf, buf.count)
                if n > 0 { output += buf[0 ..< n] } else if n < 0 && errno == EINTR { continue } else { break }
            }
            close(fds[0])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (exit, String(decoding: output, as: UTF8.self))
    }
}

struct TmuxError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
