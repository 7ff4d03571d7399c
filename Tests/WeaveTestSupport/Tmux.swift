import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Shared by the test targets: drives a real terminal program in a detached
/// tmux session (send-keys, capture-pane), every wait bounded.
public struct Tmux {
    public static var available: Bool { TestEnvironment.hasTmux }

    public let socket: String

    /// The `weave` built next to this test bundle (`.build…/debug/weave`).
    public static func weaveBinary() throws -> String { try Binaries.require("weave") }

    /// The weave binary at a path any user can run, in `dir` (made 0755): the
    /// build folder may sit in a private temporary folder, as CI's does. A hard
    /// link where the file system allows (no file is open for writing, so no
    /// `Text file busy`: a copy's write descriptor can be inherited by a process
    /// another test forks at that moment, and exec fails while it is held);
    /// otherwise a copy, then waits (at most 10 s) until it runs.
    public static func weaveBinaryForAnyUser(in dir: String) throws -> String {
        chmod(dir, 0o755)
        let path = dir + "/weave"
        let built = try weaveBinary()
        if link(built, path) != 0 {
            try FileManager.default.copyItem(atPath: built, toPath: path)
        }
        chmod(path, 0o755)
        let deadline = Date().addingTimeInterval(10)
        while true {
            let r = try Self.run([path, "--version"])
            if r.status == 0 { return path }
            if Date() > deadline { throw TmuxError("\(path) does not run: \(r.output)") }
            usleep(50_000)
        }
    }

    /// Starts `command` in a new session; the pane prints `WEAVE-EXIT=<status>`
    /// when it ends and stays up a while so the status can be read.
    public init(command: String, width: Int = 80, height: Int = 24) throws {
        try TestEnvironment.requireTmux()
        socket = "weave-test-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let shell = "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color \(command); s=$?; printf '\\nWEAVE-EXIT=%s\\n' $s; sleep 30"
        // The server it forks keeps inherited descriptors: give it no pipe to hold.
        let r = try Self.run(["tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "-x", String(width), "-y", String(height), shell],
                             capture: false)
        guard r.status == 0 else { throw TmuxError("tmux new-session failed with status \(r.status)") }
    }

    public func sendText(_ s: String) { _ = try? Self.run(["tmux", "-L", socket, "send-keys", "-l", s]) }
    public func sendKeys(_ keys: String...) { _ = try? Self.run(["tmux", "-L", socket, "send-keys"] + keys) }
    public func capture() -> String { (try? Self.run(["tmux", "-L", socket, "capture-pane", "-p"]))?.output ?? "" }
    /// The screen with its attributes and colours as escape sequences (`capture-pane -e`).
    public func captureWithAttributes() -> String { (try? Self.run(["tmux", "-L", socket, "capture-pane", "-p", "-e"]))?.output ?? "" }
    public func kill() { _ = try? Self.run(["tmux", "-L", socket, "kill-server"], capture: false) }

    /// The pid of the command the pane's shell runs (its one child).
    public func weavePID() throws -> pid_t {
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
    public func waitFor(_ text: String, seconds: Double = 10) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var screen = ""
        while Date() < deadline {
            screen = capture()
            // A long line (the shell's "Killed …" note with a long path) wraps at
            // the pane's width: look in the unwrapped text too.
            if screen.contains(text) || screen.replacingOccurrences(of: "\n", with: "").contains(text) {
                // A capture can land in the middle of a redraw (rows above updated,
                // the status line not yet): return a screen only once it holds still.
                usleep(30_000)
                let again = capture()
                if again == screen { return screen }
                continue
            }
            usleep(50_000)
        }
        throw TmuxError("timed out after \(seconds)s waiting for \(text.debugDescription); screen:\n\(screen)")
    }

    /// Runs a command (found on PATH) to its end, with posix_spawn and waitpid
    /// (Foundation's Process can hang waiting for a child that forked a
    /// daemon). With `capture`, returns its stdout and stderr; without, they go
    /// to /dev/null.
    public static func run(_ args: [String], capture: Bool = true) throws -> (status: Int32, output: String) {
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

public struct TmuxError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

extension Tmux {
    /// What follows `weave join` in the join command of FILE's host, as
    /// `weave invite FILE` prints it with the host's config directory:
    /// "HOST:PORT --invite wv1-…" (the standing invitation the host printed).
    public static func joinArguments(weave: String, file: String, config: String, readOnly: Bool = false) throws -> String {
        let r = try run(["env", "WEAVE_CONFIG_DIR=\(config)", weave, "invite", file] + (readOnly ? ["--read-only"] : []))
        guard r.status == 0, let line = r.output.split(separator: "\n").first(where: { $0.hasPrefix("weave join ") }) else {
            throw TmuxError("weave invite \(file) failed (\(r.status)): \(r.output)")
        }
        return String(line.dropFirst("weave join ".count))
    }
}

/// Polls `condition` (every 50 ms) until it holds; throws after `seconds`
/// with `what` and, when given, `state()` (what the test saw last).
public func waitUntil(_ what: String, seconds: Double = 30, state: () -> String = { "" }, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return }
        usleep(50_000)
    }
    if try condition() { return }
    throw TmuxError("timed out after \(seconds)s waiting until \(what)\n\(state())")
}

/// Waits until the file at `path` holds exactly `text` (written by Ctrl-S, say).
public func waitForFile(_ path: String, toHold text: String, seconds: Double = 30) throws {
    try waitUntil("\(path) holds \(text.debugDescription)", seconds: seconds,
                  state: { "it holds: \(((try? String(contentsOfFile: path, encoding: .utf8)) ?? "(unreadable)").debugDescription)" }) {
        (try? String(contentsOfFile: path, encoding: .utf8)) == text
    }
}
