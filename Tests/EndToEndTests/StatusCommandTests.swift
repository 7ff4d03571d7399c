#if canImport(Glibc)
import Glibc
#endif
import PeerTestSupport
import Testing
import WeaveCore
import WeavePeer
import WeaveTestSupport

/// `weave status HOST:PORT --invite TOKEN` (issue 35): prints the session's
/// host, peers, document and version, and exits 0; 1 with the reason when
/// nothing answers.
@Suite(.serialized) struct StatusCommandTests {
    @Test(.enabled(if: TestEnvironment.binaryTestsRun, "the weave binary is not built (swift build)"))
    func statusPrintsPeersDocumentAndVersionThenExits() throws {
        let weave = try Binaries.require("weave")
        let dir = try TempDir()
        let file = dir.path + "/notes.txt"
        let config = "WEAVE_CONFIG_DIR=" + dir.path + "/config"
        let relay = try Child(weave, ["serve", file, "--port", "0", "--name", "team-relay"], environment: [config])
        defer { kill(relay.pid, SIGTERM); _ = relay.wait() }
        let (port, invitation) = try #require(relay.join())
        let peers = ["ana", "bob"].enumerated().map { SimPeer(replica: UInt64(0x900 + $0.offset), name: $0.element) }
        defer { for p in peers { _ = try? p.hub.shutdown() } }
        for p in peers { p.hub.connect(host: "127.0.0.1", port: port, invitation: invitation) }
        peers[0].type("hello")
        #expect(try converge(peers))
        for p in peers { p.hub.setCursor(nil) }

        let status = try Child(weave, ["status", "127.0.0.1:\(port)", "--invite", invitation.token])
        let out = status.readAll()
        #expect(status.wait() == 0, "\(out)")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("127.0.0.1:\(port): reachable, document received in ") == true, "\(out)")
        #expect(lines.contains { $0.hasPrefix("host: team-relay, key ") }, "\(out)")
        #expect(lines.contains("document: 5 characters, 5 units from 1 replicas"), "\(out)")
        #expect(lines.contains { $0.hasPrefix("version: ") && $0.hasSuffix(":5") }, "\(out)")
        #expect(lines.contains("peers present: 2: ana, bob"), "\(out)")

        // Nothing there: exit 1, the reason on standard error.
        let closed = TestPorts.free()
        let nobody = try Child(weave, ["status", "127.0.0.1:\(closed)", "--invite", invitation.token])
        _ = nobody.readAll()
        #expect(nobody.wait() == 1)
    }
}
