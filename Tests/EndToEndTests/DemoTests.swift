import Foundation
import Testing
import WeaveDemo
import WeaveTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `weave demo --scenario …` for real, in tmux: the panes converge to the
/// expected text, the history replays, and q exits cleanly.
struct DemoTests {
    static let expected: [DemoScenario: String] = [
        .samePosition: "The quick red brown fox jumps. ⏎ B was here.",
        .deletedRange: "Remove entire phrase. ⏎ B was here.",
        .backward: "The xaybzcquick fox jumps. ⏎ B was here.",
    ]

    /// Runs the demo in tmux with its step log, waits (bounded) until the log
    /// says the script ended, and returns the log. The test then checks the
    /// demo's state as the log recorded it (every convergence check, with the
    /// text all panes agreed on), not a banner that is on screen for a moment.
    static func runDemo(_ arguments: String, width: Int, seconds: Double = 90) throws -> (log: DemoLogLines, tmux: Tmux) {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("demo")
        let logPath = dir.file("demo.log")
        let tmux = try Tmux(command: "\(weave) demo \(arguments) --log \(logPath)", width: width, height: 30)
        let deadline = Date().addingTimeInterval(seconds)
        var log = DemoLogLines(text: "")
        while Date() < deadline {
            log = DemoLogLines(text: (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
            if log.ended { break }
            usleep(100_000)
        }
        if !log.ended {
            tmux.kill()
            throw TmuxError("the demo did not end within \(seconds) s; its log:\n\(log.text)\nscreen:\n\(tmux.capture())")
        }
        withExtendedLifetime(dir) {}
        return (log, tmux)
    }

    @Test(.enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed"), arguments: DemoScenario.allCases)
    func scenarioConvergesAndQuits(_ scenario: DemoScenario) throws {
        let (log, tmux) = try Self.runDemo("--scenario \(scenario.rawValue) --speed 300", width: 110)
        defer { tmux.kill() }
        #expect(log.notConverged.isEmpty, "\(log.text)")
        #expect(log.converged.last == Self.expected[scenario], "\(log.text)")
        #expect(log.converged.count == 3, "typing together, after B's line, after the link healed:\n\(log.text)")
        #expect(log.lines.contains { $0.contains("replay ended") }, "the history replayed")
        // The last banner stays on screen until q.
        try tmux.waitFor("Done.", seconds: 10)
        tmux.sendText("q")
        try tmux.waitFor("WEAVE-EXIT=0", seconds: 10)
    }

    @Test(.enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed")) func threePeersConverge() throws {
        let (log, tmux) = try Self.runDemo("--peers 3 --speed 300", width: 120)
        defer { tmux.kill() }
        #expect(log.notConverged.isEmpty, "\(log.text)")
        #expect(log.converged.count == 3, "\(log.text)")
        #expect(log.converged.last == "The quick sly red brown fox jumps. ⏎ B was here.", "\(log.text)")
        try tmux.waitFor("Done.", seconds: 10)
        // Once the script has ended the demo waits for a key using no CPU (it
        // once spun a core here): its main thread blocks in poll with no
        // timeout. Waited for (bounded), as a state, not measured.
        let pid = try tmux.weavePID()
        let deadline = Date().addingTimeInterval(10)
        var call = Self.blockingCall(pid)
        while Date() < deadline, call != "poll, no timeout" {
            usleep(50_000)
            call = Self.blockingCall(pid)
        }
        #expect(call == "poll, no timeout", "the idle demo's main thread: \(call)")
        tmux.sendText("q")
        try tmux.waitFor("WEAVE-EXIT=0", seconds: 10)
    }

    /// What the main thread of `pid` is blocked in, from /proc/PID/syscall
    /// (the call's number and arguments): "poll, no timeout" for poll(fds, n,
    /// -1) or ppoll(fds, n, NULL, …); else the raw line ("running" when it is
    /// on a CPU).
    static func blockingCall(_ pid: pid_t) -> String {
        guard let line = try? String(contentsOfFile: "/proc/\(pid)/syscall", encoding: .utf8) else { return "unreadable" }
        let f = line.split(separator: " ")
        guard f.count >= 4, let number = Int(f[0]), let third = UInt64(f[3].dropFirst(2), radix: 16) else {
            return line.trimmingCharacters(in: .whitespacesAndNewlines)
        }
#if arch(x86_64)
        let (poll, ppoll) = (7, 271)
#else
        let (poll, ppoll) = (-1, 73)  // arm64 has only ppoll
#endif
        if number == poll && UInt32(truncatingIfNeeded: third) == UInt32.max { return "poll, no timeout" }
        if number == ppoll && third == 0 { return "poll, no timeout" }
        return line.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed")) func pauseAndStep() throws {
        let weave = try Tmux.weaveBinary()
        let dir = try TempDir("demo")
        let logPath = dir.file("demo.log")
        let tmux = try Tmux(command: "\(weave) demo --speed 2 --log \(logPath)", width: 100, height: 24)
        defer { tmux.kill() }
        // The script has started (its first step is logged), then pause: "[paused" stays on screen.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").contains(" action 0 ") {
            usleep(50_000)
        }
        tmux.sendText(" ")
        try tmux.waitFor("[paused")
        let before = tmux.capture()
        for _ in 0 ..< 5 { tmux.sendText("n") }
        let after = try tmux.waitFor("The ")   // five steps typed "The " (after the banner step)
        #expect(before != after)
        // The panes show no editor key hints (^S save, ^Q quit… do not apply in a demo pane).
        #expect(!after.contains("F1 help") && !after.contains("^S save"), "\(after)")
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

/// The demo's step log (`weave demo --log FILE`), read back: one line per step,
/// "SECONDS WHAT".
struct DemoLogLines {
    var text: String
    var lines: [Substring] { text.split(separator: "\n") }
    /// Whether the script ran to its end.
    var ended: Bool { lines.contains { $0.contains(" script ended ") } }
    /// The text every pane showed at each successful convergence check, in order.
    var converged: [String] {
        lines.compactMap { line -> String? in
            guard let r = line.range(of: " ms: \""), line.contains(" converged after ") else { return nil }
            return String(line[r.upperBound...].dropLast())
                .replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\n", with: "\n")
        }
    }
    /// Checks that gave up.
    var notConverged: [Substring] { lines.filter { $0.contains(" not converged ") } }
}
