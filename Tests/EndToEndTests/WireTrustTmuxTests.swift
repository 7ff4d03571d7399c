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
}
