#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PeerTestSupport
import Testing
import WeaveCore
import WeavePeer
import WeaveTestSupport

/// `weave serve FILE --metrics` (issue 35): a real relay with three peers
/// typing; its /metrics figures move as they type, /healthz answers, and
/// promtool finds the text valid (required under CI=true, which installs it).
@Suite(.serialized) struct RelayMetricsTests {
    /// GET `path` from 127.0.0.1:`port`: the status line and the body (5 s at most).
    static func get(_ port: Int, _ path: String) throws -> (status: String, body: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ChildError("socket") }
        defer { close(fd) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw ChildError("connect to the metrics port: \(String(cString: strerror(errno)))") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var bytes: [UInt8] = [], buf = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            bytes += buf[0 ..< n]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw ChildError("no HTTP answer: \(text)") }
        return (String(text[..<split.lowerBound]).components(separatedBy: "\r\n").first ?? "", String(text[split.upperBound...]))
    }

    /// The value of the sample `name` (with its labels, as printed) in Prometheus text, or nil.
    static func value(_ text: String, _ name: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    @Test(.enabled(if: TestEnvironment.binaryTestsRun, "the weave binary is not built (swift build)"))
    func threePeersTypingMoveTheFiguresAndPromtoolAcceptsThem() throws {
        let weave = try Binaries.require("weave")
        let dir = try TempDir()
        let file = dir.path + "/notes.txt"
        try "start\n".write(toFile: file, atomically: false, encoding: .utf8)
        let metricsPort = TestPorts.free()
        let relay = try Child(weave, ["serve", file, "--port", "0", "--metrics", "127.0.0.1:\(metricsPort)"],
                              environment: ["WEAVE_CONFIG_DIR=" + dir.path + "/config"])
        defer { kill(relay.pid, SIGKILL); _ = relay.wait() }
        let (port, invitation) = try #require(relay.join())

        // Before anyone joins: valid, and nobody there.
        let health = try Self.get(metricsPort, "/healthz")
        #expect(health.status.hasSuffix("200 OK") && health.body == "ok\n", "\(health)")
        let empty = try Self.get(metricsPort, "/metrics")
        #expect(empty.status.hasSuffix("200 OK"))
        #expect(Self.value(empty.body, "weave_peers{document=\"notes.txt\"}") == 0, "\(empty.body)")

        let peers = (1 ... 3).map { SimPeer(replica: UInt64(0x700 + $0), name: "typist\($0)") }
        defer { for p in peers { _ = try? p.hub.shutdown() } }
        for p in peers { p.hub.connect(host: "127.0.0.1", port: port, invitation: invitation) }
        #expect(try eventually(20) { try peers.allSatisfy { try $0.hub.currentStats().peers.contains { $0.state == .connected } } })
        let before = try Self.get(metricsPort, "/metrics").body
        #expect(Self.value(before, "weave_peers{document=\"notes.txt\"}") == 3, "\(before)")
        #expect(Self.value(before, "weave_links_opened_total") == 3, "\(before)")
        #expect((Self.value(before, "weave_catchup_units_count") ?? 0) >= 3, "\(before)")

        // They type: 3 × 20 keys.
        for round in 0 ..< 20 {
            for p in peers { p.type("\(round % 10)") }
            usleepMillis(20)
        }
        #expect(try converge(peers, seconds: 20))
        var after = ""
        #expect(try eventually(10) {
            after = try Self.get(metricsPort, "/metrics").body
            return (Self.value(after, "weave_units_received_total") ?? 0) >= 60 && (Self.value(after, "weave_history_fsync_seconds_count") ?? 0) >= 1
        }, "\(after)")
        for name in ["weave_bytes_received_total", "weave_bytes_sent_total", "weave_ops_received_total", "weave_ops_sent_total", "weave_units_sent_total"] {
            #expect((Self.value(after, name) ?? 0) > (Self.value(before, name) ?? 0), "\(name) did not move:\n\(after)")
        }
        #expect((Self.value(after, "weave_units_sent_total") ?? 0) >= 120, "each unit goes to the two other typists")
        #expect((Self.value(after, "weave_since_last_write_seconds{document=\"notes.txt\"}") ?? 99) < 10, "\(after)")
        #expect((Self.value(after, "weave_resident_memory_bytes") ?? 0) > 1_000_000, "\(after)")
        #expect(Self.value(after, "weave_outbound_queue_units") != nil, "\(after)")
        #expect(Self.value(after, "weave_links_refused_total{reason=\"invitation\"}") == 0, "\(after)")

        // promtool validates the exposition.
        let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: { (p: String) in access(p, X_OK) == 0 })
        if let promtool {
            let out = dir.path + "/metrics.txt"
            try after.write(toFile: out, atomically: false, encoding: .utf8)
            let check = try Tmux.run(["sh", "-c", "\(promtool) check metrics < \(out)"])
            #expect(check.status == 0, "promtool check metrics: \(check.output)")
        } else if TestEnvironment.isCI {
            Issue.record("promtool is not installed (Debian's prometheus package; .ci/run installs it)")
        } else {
            print("promtool is not installed: the exposition format was not checked by it")
        }
        kill(relay.pid, SIGTERM)
        #expect(relay.wait() == 0)
    }
}
