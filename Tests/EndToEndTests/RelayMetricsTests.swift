#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PeerTestSupport
import Testing
import WeaveCore
import WeavePeer
import WeaveTestSupport
import WeaveWorkspace

/// `weave serve FILE --metrics` (issue 35): a real relay with three peers
/// typing; its /metrics figures move as they type, /healthz answers, and
/// promtool finds the text valid (required under CI=true, which installs it).
/// The same for a folder relay (`weave serve DIR/ --metrics`): peers per
/// file, time since each file's last write and the fsync histogram.
@Suite(.serialized) struct RelayMetricsTests {
    /// GET `path` from 127.0.0.1:`port`: the status line and the body (5 s at most a read).
    static func get(_ port: Int, _ path: String) throws -> (status: String, body: String) {
        try LoopbackHTTP.get(port: port, path: path)
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

    /// Reads a folder relay's stdout until "join with: weave join HOST:PORT --invite TOKEN DIR/" (10 s at most).
    static func folderJoin(_ child: Child) -> (port: Int, invitation: Invitation)? {
        var text = ""
        let deadline = time(nil) + 10
        while time(nil) < deadline {
            var p = pollfd(fd: child.out, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 200) >= 0 else { return nil }
            if p.revents == 0 { continue }
            var buf = [UInt8](repeating: 0, count: 1024)
            let n = read(child.out, &buf, buf.count)
            if n <= 0 { return nil }
            text += String(decoding: buf[0 ..< n], as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("join with: weave join ") {
                let words = line.split(separator: " ")
                guard words.count >= 7, words[5] == "--invite", let colon = words[4].lastIndex(of: ":"),
                      let port = Int(words[4][words[4].index(after: colon)...]), let inv = Invitation(token: String(words[6]))
                else { return nil }
                return (port, inv)
            }
        }
        return nil
    }

    /// Checks `text` with promtool (required under CI=true).
    static func promtoolAccepts(_ text: String, in dir: String) throws {
        let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: { (p: String) in access(p, X_OK) == 0 })
        if let promtool {
            let out = dir + "/metrics.txt"
            try text.write(toFile: out, atomically: false, encoding: .utf8)
            let check = try Tmux.run(["sh", "-c", "\(promtool) check metrics < \(out)"])
            #expect(check.status == 0, "promtool check metrics: \(check.output)")
        } else if TestEnvironment.isCI {
            Issue.record("promtool is not installed (Debian's prometheus package; .ci/run installs it)")
        } else {
            print("promtool is not installed: the exposition format was not checked by it")
        }
    }

    @Test(.enabled(if: TestEnvironment.binaryTestsRun, "the weave binary is not built (swift build)"))
    func aFolderRelayCountsPeersAndWritesPerFile() throws {
        let weave = try Binaries.require("weave")
        let dir = try TempDir()
        let shared = dir.path + "/team"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        try "alpha\n".write(toFile: shared + "/a.txt", atomically: false, encoding: .utf8)
        try "beta\n".write(toFile: shared + "/b.txt", atomically: false, encoding: .utf8)
        let metricsPort = TestPorts.free()
        let relay = try Child(weave, ["serve", shared + "/", "--port", "0", "--metrics", "127.0.0.1:\(metricsPort)"],
                              environment: ["WEAVE_CONFIG_DIR=" + dir.path + "/config"])
        defer { kill(relay.pid, SIGKILL); _ = relay.wait() }
        let (port, invitation) = try #require(Self.folderJoin(relay))
        let folder = "weave_peers{document=\"team/\"}"
        let (peersA, peersB) = ("weave_peers{document=\"a.txt\"}", "weave_peers{document=\"b.txt\"}")
        let (sinceA, sinceB) = ("weave_since_last_write_seconds{document=\"a.txt\"}", "weave_since_last_write_seconds{document=\"b.txt\"}")
        let start = try Self.get(metricsPort, "/metrics").body
        #expect(Self.value(start, folder) == 0, "\(start)")
        let fsyncsAtStart = Self.value(start, "weave_history_fsync_seconds_count") ?? 0

        // Three folder peers: two open a.txt, one b.txt (their cursors say which).
        let peers = (1 ... 3).map { i in
            SimPeer(RGA(replica: ReplicaID(UInt64(0x900 + i))), name: "f\(i)", configure: { $0.share = .folder(0) })
        }
        defer { for p in peers { _ = try? p.hub.shutdown() } }
        for p in peers { p.hub.connect(host: "127.0.0.1", port: port, invitation: invitation) }
        var ids: (a: DocumentID, b: DocumentID)?
        #expect(try eventually(20) {
            guard try peers.allSatisfy({ try $0.hub.currentStats().peers.contains { $0.state == .connected } }) else { return false }
            let state = FolderState(text: try peers[0].hub.snapshot().text)
            guard let a = state.document(at: "a.txt"), let b = state.document(at: "b.txt") else { return false }
            ids = (a, b)
            return true
        })
        let (a, b) = try #require(ids)
        for (p, d) in zip(peers, [a, a, b]) {
            p.hub.addDocument(d, RGA(replica: p.hub.replica))
            p.hub.setCursor(nil, document: d)
        }
        var seen = ""
        #expect(try eventually(10) {
            seen = try Self.get(metricsPort, "/metrics").body
            return Self.value(seen, folder) == 3 && Self.value(seen, peersA) == 2 && Self.value(seen, peersB) == 1
        }, "peers per file:\n\(seen)")

        // Two of them type in a.txt; b.txt is not written.
        usleepMillis(1500)
        #expect(try eventually(10) { try peers[0].hub.withDocument(a) { $0?.text }.wait() == "alpha\n" })
        for round in 0 ..< 10 {
            for p in peers[0 ..< 2] {
                guard var doc = try p.hub.withDocument(a, { $0 }).wait() else { continue }
                if let op = doc.insert(Array("\(round)".unicodeScalars), at: doc.count) { p.hub.submit([op], document: a) }
            }
            usleepMillis(20)
        }
        var after = ""
        #expect(try eventually(10) {
            after = try Self.get(metricsPort, "/metrics").body
            guard let writtenA = Self.value(after, sinceA), let unwrittenB = Self.value(after, sinceB) else { return false }
            return writtenA < 1 && unwrittenB >= 1.5 && (Self.value(after, "weave_history_fsync_seconds_count") ?? 0) > fsyncsAtStart
        }, "a.txt written, b.txt not:\n\(after)")
        #expect((Self.value(after, "weave_units_received_total") ?? 0) >= 20, "\(after)")

        // The third moves to a.txt: b.txt stays, at 0.
        peers[2].hub.addDocument(a, RGA(replica: peers[2].hub.replica))
        peers[2].hub.setCursor(nil, document: a)
        #expect(try eventually(10) {
            seen = try Self.get(metricsPort, "/metrics").body
            return Self.value(seen, peersA) == 3 && Self.value(seen, peersB) == 0
        }, "after the move:\n\(seen)")
        try Self.promtoolAccepts(seen, in: dir.path)
        kill(relay.pid, SIGTERM)
        #expect(relay.wait() == 0)
        #expect(readFile(shared + "/a.txt").count == "alpha\n".count + 20)
    }
}
