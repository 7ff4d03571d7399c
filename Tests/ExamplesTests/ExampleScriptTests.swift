import Foundation
import Testing
import WeaveTestSupport

/// Runs the Examples/ scripts for real, in tmux.
struct ExampleScriptTests {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    static func trace(_ name: String) -> String? {
        let dir = ProcessInfo.processInfo.environment["WEAVE_TRACES"] ?? root + "/../shared/traces"
        let path = dir + "/" + name
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    @Test func replayTraceImportsAndOpensThePane() throws {
        guard Tmux.available else { print("skipping: tmux is not installed"); return }
        guard let trace = Self.trace("friendsforever.json.gz") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("CI must have the traces") }
            return
        }
        let weave = try Tmux.weaveBinary()
        let tmux = try Tmux(command: "WEAVE=\(weave) bash \(Self.root)/Examples/replay-trace.sh \(trace)")
        defer { tmux.kill() }
        try tmux.waitFor("Time travel", seconds: 20)
        let screen = try tmux.waitFor("26078/26078")
        #expect(screen.contains("⑂ concurrent") || screen.contains("agent"))
        tmux.sendKeys("Home")
        try tmux.waitFor("0/26078")
        tmux.sendKeys("]")
        try tmux.waitFor("agent 0")
        tmux.sendKeys("Escape")
        tmux.sendKeys("C-q")
        try tmux.waitFor("WEAVE-EXIT=0", seconds: 10)
    }
}
