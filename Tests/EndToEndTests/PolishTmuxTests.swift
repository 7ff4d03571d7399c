import Foundation
import Testing
import WeaveTestSupport

/// Issue 33's polish, seen at 80x24 in tmux: the in-memory joiner's Ctrl-S
/// advice fits the message line, names --invite, and following it works;
/// the time-travel pane finds in its text; the demo's F1 shows its own keys.
@Suite(.serialized, .enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed: end-to-end polish tests skipped (under CI=true they fail)"))
struct PolishTmuxTests {
    @Test func theInMemoryJoinersSaveAdviceFitsAndWorks() throws {
        let dir = try TempDir()
        let file = dir.path + "/notes.txt"
        let weave = try Tmux.weaveBinary()
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/alice-config \(weave) host \(file) --port 0 --name alice")
        defer { host.kill() }
        try host.waitFor("join with: weave join 127.0.0.1:")
        host.sendText("shared words")
        try host.waitFor("Ln 1, Col 13")
        let args = try Tmux.joinArguments(weave: weave, file: file, config: dir.path + "/alice-config")
        let address = String(args.split(separator: " ")[0])
        let bob = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/bob-config \(weave) join \(args) --name bob")
        defer { bob.kill() }
        try bob.waitFor("shared words")
        bob.sendKeys("C-s")
        let advice = "Not saved: in memory; keep it: weave join \(address) --invite TOKEN FILE"
        let screen = try bob.waitFor(advice)
        #expect(screen.split(separator: "\n").contains { $0.hasPrefix(advice) }, "the whole advice on one 80-column row:\n\(screen)")
        bob.sendKeys("C-q")
        try bob.waitFor("WEAVE-EXIT=0")
        // Following it: the same command with the token and a FILE keeps a copy.
        let copy = dir.path + "/copy.txt"
        let command = advice.dropFirst("Not saved: in memory; keep it: ".count)
            .replacingOccurrences(of: "--invite TOKEN FILE", with: "--invite " + args.split(separator: " ")[2] + " " + copy)
        let kept = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/bob-config \(weave) \(command.dropFirst("weave ".count)) --name bob")
        defer { kept.kill() }
        try kept.waitFor("shared words")
        kept.sendKeys("C-s")
        try waitForFile(copy, toHold: "shared words")
        kept.sendKeys("C-q")
    }

    @Test func theTimeTravelPaneFindsInItsText() throws {
        let dir = try TempDir()
        let file = dir.path + "/t.txt"
        let weave = try Tmux.weaveBinary()
        let ed = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/config \(weave) edit \(file)")
        defer { ed.kill() }
        try ed.waitFor("[saved]")
        ed.sendText("alpha beta")
        ed.sendKeys("Enter")
        ed.sendText("gamma beta")
        try ed.waitFor("Ln 2, Col 11")
        ed.sendKeys("F2")
        try ed.waitFor("Time travel")
        ed.sendKeys("C-f")
        try ed.waitFor("Find in this version")
        ed.sendText("beta")
        ed.sendKeys("Enter")
        ed.sendKeys("F3")
        ed.sendKeys("F3")
        try ed.waitFor("Search wrapped")
        let coloured = ed.captureWithAttributes()
        #expect(coloured.contains("beta"), "\(coloured)")
        ed.sendKeys("F1")
        try ed.waitFor("Time travel: keys")
        let help = ed.capture()
        #expect(help.contains("Ctrl-F  F3  Shift-F3"), "\(help)")
        ed.sendKeys("Escape")  // the help
        ed.sendKeys("Escape")  // the pane
        ed.sendKeys("C-s")
        try ed.waitFor("Saved")
        ed.sendKeys("C-q")
        try ed.waitFor("WEAVE-EXIT=0")
    }

    @Test func theDemosF1ShowsTheDemosKeys() throws {
        let weave = try Tmux.weaveBinary()
        let demo = try Tmux(command: "\(weave) demo --speed 5")
        defer { demo.kill() }
        try demo.waitFor("Weave demo")
        demo.sendKeys("Tab")
        demo.sendKeys("F1")
        let screen = try demo.waitFor("Weave demo: keys")
        #expect(!screen.contains("Weave help: keys"), "\(screen)")
        demo.sendKeys("Escape")
        demo.sendKeys("C-q")
        try demo.waitFor("WEAVE-EXIT=0")
    }
}
