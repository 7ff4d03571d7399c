import Foundation
import Testing
import WeaveTestSupport

/// The wire-trust reports (issue 14) tried as a user would: real `weave host`
/// and `weave join` processes in tmux panes, on 127.0.0.1.
@Suite(.serialized, .enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed: end-to-end wire trust tests skipped (under CI=true they fail)"))
struct WireTrustTmuxTests {
    /// A read-only watcher presses keys: it is told "Read-only", its text does
    /// not change, the link stays, and the host's later typing still arrives.
    @Test func readOnlyWatcherKeepsWatchingAfterPressingKeys() throws {
        let dir = try TempDir("watch")
        let file = dir.file("shared.txt")
        try "first line\n".write(toFile: file, atomically: false, encoding: .utf8)
        let weave = try Tmux.weaveBinary()
        let config = dir.path + "/alice-config"
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(config) \(weave) host \(file) --port 0 --name alice --log \(dir.path)/host.log")
        defer { host.kill() }
        try host.waitFor("join with: weave join 127.0.0.1:")
        host.sendKeys("C-End")
        host.sendText("alice types")
        try host.waitFor("alice types")
        let args = try Tmux.joinArguments(weave: weave, file: file, config: config, readOnly: true)
        let watcher = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/bob-config \(weave) join \(args) --name bob")
        defer { watcher.kill() }
        try watcher.waitFor("alice types", seconds: 15)
        try watcher.waitFor("[read-only]")
        try watcher.waitFor("alice online")
        watcher.sendText("xyz")
        watcher.sendKeys("Enter")
        watcher.sendKeys("BSpace")
        let refused = try watcher.waitFor("Read-only: read-only invitation")
        #expect(!refused.contains("xyz") && !refused.contains("Link stopped"), "\(refused)")
        // The host goes on typing; the watcher still sees it, over the same link.
        host.sendText(" and more")
        let later = try watcher.waitFor("alice types and more", seconds: 15)
        #expect(later.contains("alice online"), "\(later)")
        #expect(!later.contains("xyz"))
        // Time travel still opens.
        watcher.sendKeys("F2")
        try watcher.waitFor("Time travel")
        watcher.sendKeys("Escape")
        try host.waitFor("bob online")
        host.sendKeys("C-s")
        try waitForFile(file, toHold: "first line\nalice types and more")
        watcher.sendKeys("C-q")
        try watcher.waitFor("WEAVE-EXIT=0")
        host.sendKeys("C-q")
        try host.waitFor("WEAVE-EXIT=0")
    }

    /// `weave join` to a closed port says so at once; to a port where
    /// something else listens, that it is not a Weave host; both exit non-zero
    /// and print no internals (no BoringSSL error, no build path, no errno dump).
    @Test func joinSaysWhatIsListeningWithoutInternals() throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("nojoin")
        let file = dir.file("d.txt")
        let config = dir.path + "/alice-config"
        let token = try Tmux.joinArguments(weave: weave, file: file, config: config).components(separatedBy: "--invite ").last ?? ""
        let closed = TestPorts.free()
        let start = Date()
        let refused = try Tmux.run(["env", "WEAVE_CONFIG_DIR=\(dir.path)/bob-config", weave, "join", "127.0.0.1:\(closed)", "--invite", token])
        #expect(refused.status != 0)
        #expect(refused.output.contains("nothing is listening on 127.0.0.1:\(closed)"), "\(refused.output)")
        #expect(Date().timeIntervalSince(start) < 5, "at once, not after the 10 s timeout")
        let http = try Impostor(reply: Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8), readFirst: true)
        defer { http.stop() }
        let other = try Tmux.run(["env", "WEAVE_CONFIG_DIR=\(dir.path)/bob-config", weave, "join", "127.0.0.1:\(http.port)", "--invite", token])
        #expect(other.status != 0)
        #expect(other.output.contains("127.0.0.1:\(http.port) is not a Weave host"), "\(other.output)")
        for leak in ["SSL", "/.build/", "errno", "SingleConnectionFailure", "NIO"] {
            #expect(!refused.output.contains(leak) && !other.output.contains(leak), "\(leak): \(refused.output) \(other.output)")
        }
    }

    /// `weave serve` has no cursor: a joiner shows it on the status line
    /// ("serve online") but draws no cursor labelled "serve" in the text.
    @Test func aRelayShowsNoPhantomCursor() throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("relay")
        let file = dir.file("r.txt")
        try "relayed text\nline two\n".write(toFile: file, atomically: false, encoding: .utf8)
        let config = dir.path + "/serve-config"
        let serve = try Tmux(command: "env WEAVE_CONFIG_DIR=\(config) \(weave) serve \(file) --port 0", width: 200, height: 10)
        defer { serve.kill() }
        try serve.waitFor("join with: weave join")
        let args = try Tmux.joinArguments(weave: weave, file: file, config: config)
        let join = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/bob-config \(weave) join \(args) --name bob")
        defer { join.kill() }
        try join.waitFor("relayed text")
        let screen = try join.waitFor("serve online")
        let rows = screen.split(separator: "\n", omittingEmptySubsequences: false)
        let text = rows.prefix(max(0, rows.count - 3)).joined(separator: "\n")
        #expect(!text.contains("serve"), "no cursor named serve in the text:\n\(screen)")
        join.sendKeys("C-q")
        join.sendKeys("C-q")
        try join.waitFor("WEAVE-EXIT=0")
    }

    /// `weave revoke --all` in another shell: the running host's F4 list no
    /// longer shows the join command it printed, and says what to do.
    @Test func afterRevokeTheHostsPeerListDropsTheJoinCommand() throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("revokef4")
        let file = dir.file("f.txt")
        let config = dir.path + "/alice-config"
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(config) \(weave) host \(file) --port 0 --name alice", width: 160, height: 24)
        defer { host.kill() }
        try host.waitFor("join with: weave join")
        let token = try Tmux.joinArguments(weave: weave, file: file, config: config).components(separatedBy: "--invite ").last ?? ""
        host.sendKeys("F4")
        try host.waitFor(String(token.prefix(40)))
        let revoked = try Tmux.run(["env", "WEAVE_CONFIG_DIR=\(config)", weave, "revoke", file, "--all"])
        #expect(revoked.status == 0, "\(revoked.output)")
        let screen = try host.waitFor("no longer works", seconds: 10)
        #expect(!screen.contains(String(token.prefix(40))), "\(screen)")
        host.sendKeys("Escape")
        host.sendKeys("C-q")
        try host.waitFor("WEAVE-EXIT=0")
    }

    /// An in-memory joiner quits with edits no peer has: Ctrl-Q says how many
    /// and offers wait / save a copy / quit anyway; Esc goes back; once back
    /// online the edits reach the host and Ctrl-Q quits; "s" saves a copy.
    @Test func quittingWithUnsentEditsSaysSo() throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("unsent")
        let file = dir.file("u.txt")
        try "host line\n".write(toFile: file, atomically: false, encoding: .utf8)
        let config = dir.path + "/alice-config"
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(config) \(weave) host \(file) --port 0 --name alice")
        defer { host.kill() }
        try host.waitFor("join with: weave join 127.0.0.1:")
        let args = try Tmux.joinArguments(weave: weave, file: file, config: config)
        let join = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/bob-config sh -c 'cd \(dir.path) && exec \(weave) join \(args) --name bob'")
        defer { join.kill() }
        try join.waitFor("alice online")
        join.sendKeys("F6")
        try join.waitFor("offline")
        join.sendKeys("C-End")
        join.sendText("unsent")
        try join.waitFor("unsent")
        join.sendKeys("C-q")
        try join.waitFor("6 edits not yet sent (no peer connected): w wait / s save a copy / q quit anyway")
        join.sendKeys("Escape")
        try join.waitFor("Not quit: 6 edits still to send")
        join.sendKeys("F6")
        try join.waitFor("alice online")
        try host.waitFor("host line\nunsent")
        join.sendKeys("C-q")  // all acknowledged: the editor's own Ctrl-Q
        try join.waitFor("Ctrl-Q again quits")
        join.sendKeys("C-q")
        try join.waitFor("WEAVE-EXIT=0")

        let second = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/carol-config sh -c 'cd \(dir.path) && exec \(weave) join \(args) --name carol'")
        defer { second.kill() }
        try second.waitFor("alice online")
        second.sendKeys("F6")
        try second.waitFor("offline")
        second.sendText("mine ")
        second.sendKeys("C-q")
        try second.waitFor("5 edits not yet sent")
        second.sendText("s")
        let after = try second.waitFor("WEAVE-EXIT=0")
        #expect(after.contains("saved with the whole text in weave-copy-"), "\(after)")
        let copies = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("weave-copy-") }
        #expect(copies.count == 1)
        #expect(try String(contentsOfFile: dir.file(copies.first ?? "?"), encoding: .utf8) == "mine host line\nunsent")
        host.sendKeys("C-q")
        host.sendKeys("C-q")
        try host.waitFor("WEAVE-EXIT=")
    }
}
