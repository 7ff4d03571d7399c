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

    @Test(.enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed"),
          .enabled(if: TestTraces.runnable("friendsforever.json.gz"), "friendsforever.json.gz is not in $WEAVE_TRACES or ../shared/traces"))
    func replayTraceImportsAndOpensThePane() throws {
        let trace = try TestTraces.path("friendsforever.json.gz")
        let weave = try Tmux.weaveBinary()
        let tmux = try Tmux(command: "WEAVE=\(weave) bash \(Self.root)/Examples/replay-trace.sh \(trace)")
        defer { tmux.kill() }
        try tmux.waitFor("Time travel", seconds: 20)
        let screen = try tmux.waitFor("26078/26078")
        // The pane's header names the author of the edit shown (an agent of the trace).
        let header = screen.split(separator: "\n").first { $0.contains("Time travel  26078/26078") } ?? ""
        #expect(header.contains("  agent 0") || header.contains("  agent 1"), "header: \(header)")
        tmux.sendKeys("Home")
        try tmux.waitFor("0/26078")
        tmux.sendKeys("]")
        try tmux.waitFor("agent 0")
        tmux.sendKeys("Escape")
        tmux.sendKeys("C-q")
        try tmux.waitFor("WEAVE-EXIT=0", seconds: 10)
    }
}

/// The two peer scripts, run for real against two `weave` processes.
struct PeerScriptTests {
    var root: String { ExampleScriptTests.root }

    @Test(.enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed")) func mergeDemoConvergesAndBothFilesMatch() throws {
        let weave = try Tmux.weaveBinary()
        let dir = NSTemporaryDirectory() + "weave-merge-\(UInt32.random(in: 0 ... .max))"
        let port = TestPorts.free()
        let r = try Tmux.run(["env", "WEAVE=\(weave)", "WEAVE_PORT=\(port)", "WEAVE_CONFIG_DIR=\(dir)/config", "timeout", "300", "bash",
                             root + "/Examples/merge-demo.sh", dir])
        #expect(r.status == 0, "merge-demo.sh failed:\n\(r.output)")
        #expect(r.output.contains("converged: alice.txt and bob.txt both hold: The team meeting is on Monday (10:00)."))
        let alice = try String(contentsOfFile: dir + "/alice.txt", encoding: .utf8)
        let bob = try String(contentsOfFile: dir + "/bob.txt", encoding: .utf8)
        #expect(alice == bob)
        #expect(alice == "The team meeting is on Monday (10:00).\n")
    }

    /// Bob's pane must say that alice is connected ("alice online" on its
    /// status line, which tells the truth: it once said "connecting…" while
    /// connected), then each side's typing reaches the other. Every wait is
    /// on state (the panes' text, the peers' logs), bounded and generous.
    @Test(.enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed")) func twoTerminalsShareTyping() throws {
        let weave = try Tmux.weaveBinary()
        let dir = NSTemporaryDirectory() + "weave-two-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let socket = "weave-two-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let port = TestPorts.free()
        defer { _ = try? Tmux.run(["tmux", "-L", socket, "kill-server"], capture: false) }
        let r = try Tmux.run(["env", "WEAVE=\(weave)", "WEAVE_TMUX_SOCKET=\(socket)", "WEAVE_CONFIG_DIR=\(dir)/config", "WEAVE_LOG_DIR=\(dir)",
                             "bash", root + "/Examples/two-terminals.sh", dir + "/shared.txt", String(port)])
        #expect(r.status == 0, "\(r.output)")
        func screen(_ pane: String) -> String {
            (try? Tmux.run(["tmux", "-L", socket, "capture-pane", "-p", "-t", pane]))?.output ?? ""
        }
        func log(_ name: String) -> String { (try? String(contentsOfFile: "\(dir)/\(name).log", encoding: .utf8)) ?? "" }
        func waitFor(seconds: Double = 30, _ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition() { return true }
                usleep(100_000)
            }
            return condition()
        }
        func state(_ pane: String) -> String {
            "screen of \(pane):\n\(screen(pane))\nhost.log:\n\(log("host"))\njoin.log:\n\(log("join"))"
        }
        // The joiner has the document (its log says so), then its status line names alice.
        #expect(waitFor(seconds: 60) { log("join").contains("msg=\"caught up\"") }, "the joiner did not catch up:\n\(state("weave-two:0.1"))")
        #expect(waitFor { screen("weave-two:0.1").contains("alice online") }, "the joiner does not show alice online:\n\(state("weave-two:0.1"))")
        _ = try Tmux.run(["tmux", "-L", socket, "send-keys", "-t", "weave-two:0.0", "-l", "hello from alice "], capture: false)
        #expect(waitFor { screen("weave-two:0.1").contains("hello from alice") }, "bob did not see alice's text:\n\(state("weave-two:0.1"))")
        _ = try Tmux.run(["tmux", "-L", socket, "send-keys", "-t", "weave-two:0.1", "C-End"], capture: false)
        _ = try Tmux.run(["tmux", "-L", socket, "send-keys", "-t", "weave-two:0.1", "-l", "and bob"], capture: false)
        #expect(waitFor { screen("weave-two:0.0").contains("hello from alice and bob") }, "alice did not see bob's text:\n\(state("weave-two:0.0"))")
    }
}
