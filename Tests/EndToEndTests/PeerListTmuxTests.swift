import Foundation
import Testing
import WeaveTestSupport

/// End-to-end at 80×24 (issue 33): the peer list (F4) of a host and of a
/// joiner shows the other's whole loopback address with its port beside
/// every figure (it was cut to `127.0.0.1:7`), each line within 80 columns;
/// a click on the selected row goes to that peer's cursor.
@Suite(.serialized, .enabled(if: TestEnvironment.tmuxTestsRun, "tmux is not installed: end-to-end peer list tests skipped (under CI=true they fail)"))
struct PeerListTmuxTests {
    /// X10 mouse report: ESC [ M, then 32 + button, 32 + column + 1, 32 + row + 1.
    func mouse(_ tmux: Tmux, _ button: Int, x: Int, y: Int) {
        let bytes = [32 + button, 33 + x, 33 + y].map { Character(Unicode.Scalar(UInt8($0))) }
        tmux.sendText("\u{1B}[M" + String(bytes))
        usleep(60_000)  // one report per read, as a hand makes them
    }

    /// The screen's line that starts with `name` and the peer's state.
    func row(_ name: String, in screen: String) -> String? {
        screen.split(separator: "\n").map(String.init).first { $0.hasPrefix(name + " ") && $0.contains("connected") }
    }

    @Test func bothSidesListTheWholeAddressAndAClickGoesToThePeer() throws {
        let dir = try TempDir()
        let file = dir.path + "/shared.txt"
        try (0 ..< 30).map { "line \($0)" }.joined(separator: "\n").write(toFile: file, atomically: false, encoding: .utf8)
        let weave = try Tmux.weaveBinary()
        let host = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/alice-config \(weave) host \(file) --port 0 --name alice")
        defer { host.kill() }
        let hostScreen = try host.waitFor("join with: weave join 127.0.0.1:")
        let marker = try #require(hostScreen.range(of: "weave join 127.0.0.1:"))
        let port = try #require(Int(hostScreen[marker.upperBound...].prefix { $0.isNumber }))
        let args = try Tmux.joinArguments(weave: weave, file: file, config: dir.path + "/alice-config")
        let join = try Tmux(command: "env WEAVE_CONFIG_DIR=\(dir.path)/bob-config \(weave) join \(args) --name bob")
        defer { join.kill() }
        try join.waitFor("alice online")
        // The host says where bob came from ("bob joined (127.0.0.1:PORT)") until another message replaces it.
        let joined = try host.waitFor("bob online")
        let said = joined.range(of: "bob joined (").map { String(joined[$0.upperBound...].prefix { $0 != ")" }) }

        // The joiner's list: alice at the host's whole address, every column on 80 cells.
        join.sendKeys("F4")
        var screen = ""
        try waitUntil("alice's row", seconds: 10, state: { join.capture() }) {
            screen = join.capture()
            return row("alice", in: screen) != nil
        }
        let aliceRow = try #require(row("alice", in: screen))
        #expect(aliceRow.hasSuffix("  127.0.0.1:\(port)"), "the address cut:\n\(screen)")
        #expect(screen.contains("name  state         rtt   heard queued unacked behind  address"), "\(screen)")
        #expect(screen.split(separator: "\n").allSatisfy { $0.count <= 80 })
        join.sendKeys("Escape")

        // The host's list: bob at the address he came from (an ephemeral port, five digits here).
        host.sendKeys("F4")
        try waitUntil("bob's row", seconds: 10, state: { host.capture() }) {
            screen = host.capture()
            return row("bob", in: screen) != nil
        }
        let bobRow = try #require(row("bob", in: screen))
        // Bob's side of the link: 127.0.0.1 and an ephemeral port, whole (not the host's).
        let bobAddress = try #require(bobRow.split(separator: " ").last.map(String.init))
        #expect(bobRow.hasSuffix("  " + bobAddress) && bobAddress.hasPrefix("127.0.0.1:"), "\(screen)")
        let bobPort = Int(bobAddress.dropFirst("127.0.0.1:".count)) ?? 0
        // Within the system's range of ephemeral ports: not cut short by a digit.
        let range = ((try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? "32768 60999")
            .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        #expect(range.count == 2 && (range[0] ... range[1]).contains(bobPort) && bobPort != port, "the address cut:\n\(screen)")
        if let said { #expect(bobAddress == said, "the list and the join message disagree:\n\(screen)") }
        #expect(screen.split(separator: "\n").allSatisfy { $0.count <= 80 })
        host.sendKeys("Escape")

        // Alice goes to line 20; a click on her row (selected) takes bob there.
        for _ in 0 ..< 20 { host.sendKeys("Down") }
        try host.waitFor("Ln 21, Col 1")
        // Her cursor reached bob: her name after line 20 on his screen.
        try waitUntil("alice's cursor on bob's line 20", seconds: 10, state: { join.capture() }) {
            join.capture().split(separator: "\n").contains { $0.hasPrefix("line 20") && $0.contains("alice") }
        }
        join.sendKeys("F4")
        try join.waitFor("Enter go to, f follow")
        mouse(join, 0, x: 2, y: 2)  // press on her row, the selected one
        mouse(join, 3, x: 2, y: 2)  // release
        try join.waitFor("Ln 21, Col 1")
        #expect(!join.capture().contains("Peers —"), "going to her closed the list")
        join.sendKeys("C-q")
        host.sendKeys("C-q")
    }
}
