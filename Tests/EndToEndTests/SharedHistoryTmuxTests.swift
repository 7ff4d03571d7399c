import Foundation
import Testing
import WeaveTestSupport

/// End-to-end: the host's history reaches its peers. A joiner with FILE lists
/// the host's edits under the host's name (`weave log --edits`, `weave blame`);
/// an in-memory joiner's F2 pane shows the same timeline.
@Suite(.serialized, .enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed: end-to-end peer tests skipped (under CI=true they fail)"))
struct SharedHistoryTmuxTests {
    @Test func joinersSeeTheHostsEditsByName() throws {
        let dir = try TempDir()
        let file = dir.path + "/notes.txt"
        let weave = try Tmux.weaveBinary()
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/alice-config \(weave) host \(file) --port 0 --name alice")
        defer { host.kill() }
        try host.waitFor("join with: weave join 127.0.0.1:")
        // Seven keys: seven edits by alice.
        host.sendText("one")
        host.sendText(" two")
        try host.waitFor("Ln 1, Col 8")
        let args = try Tmux.joinArguments(weave: weave, file: file, config: dir.path + "/alice-config")

        // A joiner with FILE: its history holds alice's seven edits, by name.
        let copy = dir.path + "/copy.txt"
        let bob = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/bob-config \(weave) join \(args) \(copy) --name bob")
        defer { bob.kill() }
        try bob.waitFor("one two")
        try bob.waitFor("alice online")
        bob.sendKeys("C-q")
        try bob.waitFor("WEAVE-EXIT=0")
        let log = try Tmux.run([weave, "log", "--edits", copy])
        #expect(log.status == 0, "\(log.output)")
        let aliceLines = log.output.split(separator: "\n").filter { $0.contains("alice") }
        #expect(aliceLines.count == 7, "weave log --edits on the joiner:\n\(log.output)")
        #expect(!log.output.contains("replica "), "names, not replica IDs:\n\(log.output)")
        let blame = try Tmux.run([weave, "blame", copy])
        #expect(blame.status == 0 && blame.output.contains("alice") && blame.output.contains("one two"), "\(blame.output)")

        // An in-memory joiner: F2 shows the same seven edits, alice's.
        let carol = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/carol-config \(weave) join \(args) --name carol")
        defer { carol.kill() }
        try carol.waitFor("one two")
        carol.sendKeys("F2")
        try carol.waitFor("Time travel  7/7  alice")
        carol.sendKeys("Escape")
        carol.sendKeys("C-q")
        try carol.waitFor("WEAVE-EXIT=0")
        host.sendKeys("C-s")
        try waitForFile(file, toHold: "one two")
        host.sendKeys("C-q")
        try host.waitFor("WEAVE-EXIT=0")
    }
}
