#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import PeerTestSupport
import WeaveCore
import WeavePeer
import WeaveStore
import WeaveTestSupport

/// `weave serve` as a child process: killed with SIGKILL and restarted, it
/// catches up from the peer that stayed; on SIGTERM it saves the text.
@Suite(.serialized) struct ServeProcessTests {
    @Test(.enabled(if: TestEnvironment.binaryTestsRun, "the weave binary is not built (swift build)"))
    func killedServerRestartsAndCatchesUp() throws {
        let weave = try Binaries.require("weave")
        let file = "/tmp/weave-serve-test-\(getpid())-\(UInt32.random(in: 0 ... .max)).txt"
        let sidecar = "/tmp/." + String(file.dropFirst(5)) + ".weave"
        let config = "WEAVE_CONFIG_DIR=" + file + ".config"
        defer { unlink(file); unlink(sidecar); _ = try? FileManager.default.removeItem(atPath: file + ".config") }
        let first = try Child(weave, ["serve", file, "--port", "0"], environment: [config])
        let (port, invitation) = try #require(first.join())
        let joiner = SimPeer(replica: 0x99, name: "joiner")
        defer { _ = try? joiner.hub.shutdown() }
        // Over TLS with the invitation the server printed; the same one works after each restart.
        joiner.hub.connect(host: "127.0.0.1", port: port, invitation: invitation)
        joiner.type("before the kill. ")
        #expect(try synced(joiner))
        kill(first.pid, SIGKILL)
        _ = first.wait()
        joiner.type("while it was down. ")
        let second = try Child(weave, ["serve", file, "--port", "\(port)"], environment: [config])
        #expect(second.join()?.port == port)
        #expect(try synced(joiner))
        // Sent is not yet read: wait until the server's history holds it (its group commit).
        #expect(Self.historyHolds(sidecar, "before the kill. while it was down. "))
        kill(second.pid, SIGTERM)
        #expect(second.wait() == 0)
        #expect(readFile(file) == "before the kill. while it was down. ")
        // The history was kept (StoredDocument): a third run has the same
        // elements, so the joiner reconnecting to it does not get the text twice.
        #expect(access(sidecar, F_OK) == 0)
        let third = try Child(weave, ["serve", file, "--port", "\(port)"], environment: [config])
        let again = third.join()
        #expect(again?.port == port)
        #expect(again?.invitation == invitation, "the standing invitation is printed again")
        joiner.type("after. ")
        #expect(try synced(joiner))
        #expect(Self.historyHolds(sidecar, "before the kill. while it was down. after. "))
        kill(third.pid, SIGTERM)
        #expect(third.wait() == 0)
        #expect(readFile(file) == "before the kill. while it was down. after. ")
        #expect(joiner.editor.text == "before the kill. while it was down. after. ")
    }

    /// Whether the server's durable history (its sidecar, as a reopen reads it)
    /// holds `text`, within 20 s.
    static func historyHolds(_ sidecar: String, _ text: String) -> Bool {
        eventually(20) { ((try? OpLog.load(path: sidecar).document(as: ReplicaID(1)).text) ?? "") == text }
    }

    /// Whether the joiner is connected with nothing queued, within 20 s.
    func synced(_ p: SimPeer) throws -> Bool {
        try eventually(20) {
            try p.pump()
            let peers = try p.hub.currentStats().peers
            return peers.count == 1 && peers[0].state == .connected && peers[0].unitsQueued == 0
        }
    }
}
