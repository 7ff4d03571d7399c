import Foundation
import Testing
import WeaveDemo
import WeaveTestSupport

/// `weave demo --scenario …` for real, in tmux: the panes converge to the
/// expected text, the history replays, and q exits cleanly.
struct DemoTests {
    static let expected: [DemoScenario: String] = [
        .samePosition: "The quick red brown fox jumps. ⏎ B was here.",
        .deletedRange: "Remove entire phrase. ⏎ B was here.",
        .backward: "The xaybzcquick fox jumps. ⏎ B was here.",
    ]

    @Test(arguments: DemoScenario.allCases) func scenarioConvergesAndQuits(_ scenario: DemoScenario) throws {
        guard Tmux.available else { print("skipping: tmux is not installed"); return }
        let weave = try Tmux.weaveBinary()
        let tmux = try Tmux(command: "\(weave) demo --scenario \(scenario.rawValue) --speed 300", width: 110, height: 30)
        defer { tmux.kill() }
        // First convergence (typing together), then the one after the link heals.
        try tmux.waitFor("Link cut!", seconds: 20)
        let screen = try tmux.waitFor("Converged: every pane shows \"\(Self.expected[scenario]!)\"", seconds: 20)
        #expect(screen.contains("online"))
        try tmux.waitFor("Time travel", seconds: 20)
        try tmux.waitFor("Done.", seconds: 30)
        tmux.sendText("q")
        try tmux.waitFor("WEAVE-EXIT=0", seconds: 10)
    }

    @Test func threePeersConverge() throws {
        guard Tmux.available else { return }
        let weave = try Tmux.weaveBinary()
        let tmux = try Tmux(command: "\(weave) demo --peers 3 --speed 300", width: 120, height: 30)
        defer { tmux.kill() }
        try tmux.waitFor("Converged: every pane shows \"The quick sly red brown fox jumps. ⏎ B was here.\"", seconds: 30)
        tmux.sendText("q")
        try tmux.waitFor("WEAVE-EXIT=0", seconds: 10)
    }

    @Test func pauseAndStep() throws {
        guard Tmux.available else { return }
        let weave = try Tmux.weaveBinary()
        let tmux = try Tmux(command: "\(weave) demo --speed 2", width: 100, height: 24)
        defer { tmux.kill() }
        try tmux.waitFor("2 replicas")
        tmux.sendText(" ")
        try tmux.waitFor("[paused")
        let before = tmux.capture()
        for _ in 0 ..< 5 { tmux.sendText("n") }
        let after = try tmux.waitFor("The ")   // five steps typed "The " (after the banner step)
        #expect(before != after)
        tmux.sendText("q")
        try tmux.waitFor("WEAVE-EXIT=0")
    }

    @Test func scriptsArePlainData() {
        let s = DemoScript.make(.samePosition, peers: 2)
        #expect(s.contains(.setOnline(false)))
        #expect(s.contains(.setOnline(true)))
        #expect(s.firstIndex(of: .setOnline(false))! < s.firstIndex(of: .setOnline(true))!)
        #expect(s.contains(.replayHistory))
    }
}
