import Foundation
import Testing
import WeaveTestSupport

/// End-to-end in tmux at 80x24: in a shared session F3 finds the next match
/// (it no longer goes offline), the peer list's Enter goes to a peer's cursor
/// and f follows it, and a peer's selection is drawn in its colour.
@Suite(.serialized, .enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed: end-to-end peer tests skipped (under CI=true they fail)"))
struct PresenceTmuxTests {
    @Test func findGoToFollowAndAPeersSelection() throws {
        let dir = try TempDir()
        let file = dir.path + "/shared.txt"
        try (1 ... 60).map { "row \($0)" }.joined(separator: "\n").write(toFile: file, atomically: false, encoding: .utf8)
        let weave = try Tmux.weaveBinary()
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/alice-config \(weave) host \(file) --port 0 --name alice")
        defer { host.kill() }
        try host.waitFor("join with: weave join 127.0.0.1:")
        let args = try Tmux.joinArguments(weave: weave, file: file, config: dir.path + "/alice-config")
        let bob = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/bob-config \(weave) join \(args) --name bob")
        defer { bob.kill() }
        try bob.waitFor("alice online")

        // Find, then F3: the next match, still online.
        bob.sendKeys("C-f")
        bob.sendText("row 4")
        bob.sendKeys("Enter")
        try bob.waitFor("Ln 4, Col 1")
        bob.sendKeys("F3")
        try bob.waitFor("Ln 40, Col 1")
        #expect(bob.capture().contains("alice online"), "F3 did not go offline")

        // Alice goes to row 55; bob goes to her cursor from the peer list.
        host.sendKeys("C-End")
        host.sendKeys("Home")
        for _ in 0 ..< 5 { host.sendKeys("Up") }
        try host.waitFor("Ln 55, Col 1")
        bob.sendKeys("F4")
        try bob.waitFor("Enter go to, f follow")
        bob.sendKeys("Enter")
        try bob.waitFor("Ln 55, Col 1")

        // f: bob follows her to row 30; Down then stops following and moves on.
        bob.sendKeys("F4")
        try bob.waitFor("Enter go to, f follow")
        bob.sendText("f")
        try bob.waitFor("following alice")
        for _ in 0 ..< 25 { host.sendKeys("Up") }
        try host.waitFor("Ln 30, Col 1")
        try bob.waitFor("Ln 30, Col 1")
        bob.sendKeys("Down")
        let stopped = try bob.waitFor("Ln 31, Col 1")
        #expect(!stopped.contains("following alice ·"), "the status line no longer says following:\n\(stopped)")

        // Bob selects "row 31" with Shift+End: alice's screen underlines it (SGR 4).
        func underlinedRow31() -> Bool {
            // A select graphic rendition with 4 among its parameters, then "row 31".
            let pattern = "\u{1B}\\[([0-9]+;)*4(;[0-9]+)*m(\u{1B}\\[[0-9;]*m)*row 31"
            return host.captureWithAttributes().range(of: pattern, options: .regularExpression) != nil
        }
        #expect(!underlinedRow31(), "not before the selection")
        bob.sendKeys("S-End")
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !underlinedRow31() { usleep(50_000) }
        #expect(underlinedRow31(), "bob's selection underlined on alice's screen:\n\(host.captureWithAttributes())")
        bob.sendKeys("C-q")
        try bob.waitFor("WEAVE-EXIT=0")
        host.sendKeys("C-q")
        try host.waitFor("WEAVE-EXIT=0")
    }
}
