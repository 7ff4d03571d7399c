import Foundation
import PeerTestSupport
import Testing
import WeaveTestSupport

/// End-to-end at 80×24 (issue 35): `weave join` reaches `weave host` through a
/// `FaultProxy`; while the network is gone the joiner's status line counts
/// down to the next dial and counts the queued edits, F4 lists no unanswered
/// dial as a peer, the host's offline switch says a sentence, and Ctrl-Q says
/// where the edits that reached nobody are.
@Suite(.serialized, .enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed: end-to-end link health tests skipped (under CI=true they fail)"))
struct LinkHealthTmuxTests {
    /// The whole numbers N in "reconnecting in N s" on a screen.
    func countdown(_ screen: String) -> Int? {
        guard let r = screen.range(of: "reconnecting in ") else { return nil }
        return Int(screen[r.upperBound...].prefix { $0.isNumber })
    }

    @Test func cutOffShowsATickingCountdownTheQueuedEditsAndNoDialAsAPeer() throws {
        let dir = try TempDir()
        let file = dir.path + "/shared.txt"
        try "hello\n".write(toFile: file, atomically: false, encoding: .utf8)
        let weave = try Tmux.weaveBinary()
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/alice-config \(weave) host \(file) --port 0 --name alice")
        defer { host.kill() }
        let hostScreen = try host.waitFor("join with: weave join 127.0.0.1:")
        let marker = hostScreen.range(of: "weave join 127.0.0.1:")!
        let port = Int(hostScreen[marker.upperBound...].prefix { $0.isNumber })!
        let proxy = try FaultProxy(to: port)
        defer { proxy.stop() }
        let args = try Tmux.joinArguments(weave: weave, file: file, config: dir.path + "/alice-config")
            .replacingOccurrences(of: "127.0.0.1:\(port)", with: "127.0.0.1:\(proxy.port)")
        let copy = dir.path + "/copy.txt"
        let join = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/bob-config \(weave) join \(args) \(copy) --name bob")
        defer { join.kill() }
        try join.waitFor("alice online")
        try host.waitFor("bob online")

        // The network goes: every connection reset, every new one refused.
        proxy.refuse(true)
        proxy.cut()
        try join.waitFor("reconnecting in ")
        join.sendKeys("C-End")
        join.sendText("abc")
        try join.waitFor("3 edits queued")
        // The countdown ticks: over 6 s the status line shows it at more than one value.
        var seen = Set<Int>()
        let until = Date().addingTimeInterval(6)
        while Date() < until {
            let screen = join.capture()
            if let n = countdown(screen) { seen.insert(n) }
            usleep(50_000)
        }
        #expect(seen.count >= 2, "the countdown did not change: \(seen)")
        let status = join.capture().split(separator: "\n").first { $0.contains("edits queued") }.map(String.init) ?? ""
        #expect(status.count <= 80 && status.contains("3 edits queued"), "status line: \(status)")

        // A dial that hangs unanswered (bytes dropped) is the link connecting, not a peer.
        proxy.refuse(false)
        proxy.stall(true)
        join.sendKeys("F4")
        try join.waitFor("Peers — bob (")
        let listUntil = Date().addingTimeInterval(4)
        var sawConnecting = false
        while Date() < listUntil {
            let screen = join.capture()
            #expect(!screen.contains("handshaking") && !screen.contains("(?)"), "an unanswered dial listed as a peer:\n\(screen)")
            if screen.contains("connecting") { sawConnecting = true }
            usleep(200_000)
        }
        #expect(sawConnecting, "the link's dial is not shown as connecting")
        join.sendKeys("Escape")

        // The network is back: the queued edits arrive.
        proxy.stall(false)
        try join.waitFor("alice online", seconds: 8)
        try host.waitFor("abc", seconds: 5)

        // F4's columns while bytes are held: what was typed left this side but is not acknowledged.
        proxy.stall(true)
        join.sendText("xyz")
        join.sendKeys("F4")
        var row: [Substring] = []
        try waitUntil("alice's row with 3 unacknowledged units", seconds: 5, state: { join.capture() }) {
            let screen = join.capture()
            row = screen.split(separator: "\n").first { $0.hasPrefix("alice") && $0.contains("connected") }?.split(separator: " ") ?? []
            return row.count >= 4 && row[row.count - 3] == "3" && row[row.count - 2] == "3"
        }
        #expect(row[row.count - 4] == "0", "nothing waits to be sent: \(row)")
        #expect(join.capture().contains("rtt   heard queued unacked behind  address"), "\(join.capture())")
        #expect(join.capture().split(separator: "\n").allSatisfy { $0.count <= 80 })
        join.sendKeys("Escape")
        proxy.stall(false)
        try host.waitFor("abcxyz", seconds: 5)

        // The host goes offline (F6): the joiner's redials are turned away, said in a sentence.
        host.sendKeys("F6")
        let turnedAway = try host.waitFor("turned away", seconds: 8)
        #expect(!turnedAway.contains("closed (offline)"), "raw socket line on the host:\n\(turnedAway)")
        try join.waitFor("reconnecting")
        // Ctrl-Q while cut off, with an edit no one has: the joiner is told where it is.
        join.sendText("!")
        try join.waitFor("1 edit queued")
        join.sendKeys("C-s")
        try waitForFile(copy, toHold: "hello\nabcxyz!")
        join.sendKeys("C-q")
        let after = try join.waitFor("WEAVE-EXIT=0")
        #expect(after.replacingOccurrences(of: "\n", with: "").contains("1 edit has not reached anyone yet; the file's history keeps it and the next weave join sends it"),
                "\(after)")
        host.sendKeys("F6")
        host.sendKeys("C-q")
    }
}
