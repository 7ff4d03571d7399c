#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PeerTestSupport
import Testing
import WeaveCore
import WeavePeer
import WeaveStore
import WeaveTestSupport

/// `weave serve` as a service (issue 35): SIGTERM while two peers type. It
/// exits 0 promptly with every acknowledged edit in its history and file, its
/// peers hear "relay restarting", and they are back within 2 s of the
/// restarted relay listening (they redial fast instead of backing off).
@Suite(.serialized) struct ServeRestartTests {
    @Test(.enabled(if: TestEnvironment.binaryTestsRun, "the weave binary is not built (swift build)"))
    func sigtermMidTypingLosesNoAcknowledgedEditAndPeersAreBackWithinTwoSeconds() throws {
        let weave = try Binaries.require("weave")
        let dir = try TempDir()
        let file = dir.path + "/notes.txt"
        let config = "WEAVE_CONFIG_DIR=" + dir.path + "/config"
        let log = dir.path + "/serve.log"
        let first = try Child(weave, ["serve", file, "--port", "0", "--log", log, "--log-json"], environment: [config])
        let (port, invitation) = try #require(first.join())
        // The shipped reconnection rules (not the tests' fast backoff).
        let peers = (1 ... 2).map { i in
            SimPeer(RGA(replica: ReplicaID(UInt64(0x800 + i))), name: "typist\(i)") { c in
                c.backoff = Backoff()
                c.handshakeTimeout = .seconds(5)
                c.heartbeatInterval = .seconds(1)
                c.deadAfter = .seconds(6)
            }
        }
        defer { for p in peers { _ = try? p.hub.shutdown() } }
        for p in peers { p.hub.connect(host: "127.0.0.1", port: port, invitation: invitation) }
        #expect(try eventually(20) { try peers.allSatisfy { try $0.hub.currentStats().peers.contains { $0.state == .connected } } })

        // Typing, with SIGTERM in the middle of it.
        var stopped: Date?
        for round in 0 ..< 40 {
            for (i, p) in peers.enumerated() { p.type(i == 0 ? "a" : "b") }
            if round == 20 { kill(first.pid, SIGTERM); stopped = Date() }
            usleepMillis(10)
        }
        #expect(first.wait() == 0)
        let exitTook = Date().timeIntervalSince(stopped!)
        print("weave serve exited \(String(format: "%.1f", exitTook)) s after SIGTERM")
        #expect(exitTook < 5, "exit took \(exitTook) s")

        // Every edit a peer had acknowledged is in the relay's history.
        let sidecar = OpLog.sidecarPath(for: file)
        let saved = try OpLog.load(path: sidecar).document(as: ReplicaID(1))
        for p in peers {
            let acked = try p.hub.currentDelivery().acknowledged
            #expect(acked > 0)
            #expect(Int(saved.seen(p.hub.replica)) >= acked, "\(p.hub.replica): \(acked) acknowledged, \(saved.seen(p.hub.replica)) kept")
        }
        #expect(readFile(file) == saved.text, "the file holds the history's text")
        // --log-json: every line one JSON object; the joins and the goodbye are there.
        let lines = readFile(log).split(separator: "\n")
        #expect(lines.count >= 4)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            #expect(object?["ts"] != nil && object?["msg"] != nil, "not a JSON log line: \(line)")
        }
        #expect(lines.contains { $0.contains("\"msg\":\"handshake done\"") && $0.contains("\"name\":\"typist1\"") })
        #expect(lines.contains { $0.contains("\"msg\":\"shutting down\"") })
        // The peers heard why.
        for p in peers {
            #expect(p.events.all.contains { if case .peerLeft(_, .peerLeft(PeerHub.restartingReason)) = $0 { return true } else { return false } })
        }

        // Down for 3 s (an upgrade), then back on the same port.
        usleepMillis(3000)
        let second = try Child(weave, ["serve", file, "--port", "\(port)"], environment: [config])
        defer { kill(second.pid, SIGKILL); _ = second.wait() }
        #expect(second.join()?.port == port)
        let listening = Date()
        let back = try eventually(10) {
            try peers.allSatisfy { try $0.hub.currentStats().peers.contains { $0.state == .connected } }
        }
        let took = Date().timeIntervalSince(listening)
        print("peers back \(String(format: "%.2f", took)) s after the restarted relay listened")
        #expect(back && took <= 2, "peers back after \(took) s")
        #expect(try converge(peers))
        kill(second.pid, SIGTERM)
        #expect(second.wait() == 0)
        #expect(readFile(file) == peers[0].editor.text)
    }
}
