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

/// `weave serve`'s stop signals through swift-service-lifecycle's
/// `ServiceGroup` (issue 35): SIGINT does what SIGTERM does (ServeRestartTests),
/// a signal right after the banner is not lost, and a drain held up by a
/// frozen peer (its TLS goodbye never comes: NIOSSL waits 5 s for it) ends at
/// `--stop-timeout` or at a second signal, exiting 1. Every wait is bounded.
@Suite(.serialized) struct ServeSignalTests {
    /// The exit status of `child` (as `Child.wait`), or nil if it is still running after `seconds` (it is then killed, if `killing`).
    static func exitStatus(_ child: Child, within seconds: Double, killing: Bool = true) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while Date() < deadline {
            if waitpid(child.pid, &status, WNOHANG) == child.pid {
                return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            }
            usleepMillis(20)
        }
        if killing {
            kill(child.pid, SIGKILL)
            _ = child.wait()
        }
        return nil
    }

    static func connected(_ p: SimPeer) throws -> Bool {
        try eventually(20) { try p.hub.currentStats().peers.contains { $0.state == .connected } }
    }

    static func toldRestarting(_ p: SimPeer) -> Bool {
        eventually(20) {
            p.events.all.contains { if case .peerLeft(_, .peerLeft(PeerHub.restartingReason)) = $0 { return true } else { return false } }
        }
    }

    @Test(.enabled(if: TestEnvironment.binaryTestsRun, "the weave binary is not built (swift build)"))
    func sigintSavesTellsThePeersAndExitsZero() throws {
        let weave = try Binaries.require("weave")
        let dir = try TempDir()
        let file = dir.path + "/notes.txt"
        let relay = try Child(weave, ["serve", file, "--port", "0"], environment: ["WEAVE_CONFIG_DIR=" + dir.path + "/config"])
        let (port, invitation) = try #require(relay.join())
        let peer = SimPeer(RGA(replica: ReplicaID(0x901)), name: "typist")
        defer { _ = try? peer.hub.shutdown() }
        peer.hub.connect(host: "127.0.0.1", port: port, invitation: invitation)
        #expect(try Self.connected(peer))
        for _ in 0 ..< 30 { peer.type("i"); usleepMillis(10) }
        #expect(eventually(20) { ((try? peer.hub.currentDelivery().acknowledged) ?? 0) >= 30 })

        kill(relay.pid, SIGINT)
        #expect(Self.exitStatus(relay, within: 30) == 0)
        let out = relay.readAll()
        #expect(out.contains("saved 30 characters to \(file)"), "the relay said: \(out)")
        let saved = try OpLog.load(path: OpLog.sidecarPath(for: file)).document(as: ReplicaID(1))
        #expect(saved.text == String(repeating: "i", count: 30))
        #expect(readFile(file) == saved.text)
        #expect(Self.toldRestarting(peer))
    }

    @Test(.enabled(if: TestEnvironment.binaryTestsRun, "the weave binary is not built (swift build)"))
    func aSignalRightAfterTheBannerStillDrains() throws {
        let weave = try Binaries.require("weave")
        let dir = try TempDir()
        let file = dir.path + "/notes.txt"
        for signal in [SIGTERM, SIGINT] {
            let relay = try Child(weave, ["serve", file, "--port", "0"], environment: ["WEAVE_CONFIG_DIR=" + dir.path + "/config"])
            _ = try #require(relay.join())
            kill(relay.pid, signal)
            #expect(Self.exitStatus(relay, within: 30) == 0, "signal \(signal)")
            #expect(relay.readAll().contains("saved 0 characters to \(file)"), "signal \(signal)")
        }
    }

    /// A relay with a typing peer (in this process) and a frozen one (weave-bot, stopped with SIGSTOP).
    struct FrozenPeer {
        let relay: Child, peer: SimPeer, bot: pid_t, file: String
    }

    static func relayWithAFrozenPeer(_ dir: TempDir, _ extra: [String]) throws -> FrozenPeer {
        let weave = try Binaries.require("weave")
        let bot = try Binaries.require("weave-bot")
        let file = dir.path + "/notes.txt"
        let relay = try Child(weave, ["serve", file, "--port", "0"] + extra, environment: ["WEAVE_CONFIG_DIR=" + dir.path + "/config"])
        let (port, invitation) = try #require(relay.join())
        let peer = SimPeer(RGA(replica: ReplicaID(0x902)), name: "typist")
        peer.hub.connect(host: "127.0.0.1", port: port, invitation: invitation)
        #expect(try connected(peer))
        // The bot types b's slowly; once the peer sees one, it is connected: then it is frozen.
        let typed = dir.path + "/bot.txt"
        try String(repeating: "b", count: 500).write(toFile: typed, atomically: true, encoding: .utf8)
        let botChild = try Child(bot, ["127.0.0.1:\(port)", typed, "--invite", invitation.token, "--cps", "20", "--name", "frozen"])
        #expect(eventually(20) { (try? peer.pump()) != nil && peer.editor.text.contains("b") })
        kill(botChild.pid, SIGSTOP)
        for _ in 0 ..< 20 { peer.type("p"); usleepMillis(10) }
        #expect(eventually(20) { ((try? peer.hub.currentDelivery().acknowledged) ?? 0) >= 20 })
        return FrozenPeer(relay: relay, peer: peer, bot: botChild.pid, file: file)
    }

    @Test(.enabled(if: TestEnvironment.binaryTestsRun, "the weave binary is not built (swift build)"))
    func aDrainHeldByAFrozenPeerEndsAtTheStopTimeout() throws {
        let dir = try TempDir()
        let log = dir.path + "/serve.log"
        let r = try Self.relayWithAFrozenPeer(dir, ["--stop-timeout", "1", "--log", log, "--log-json"])
        defer { kill(r.bot, SIGKILL); _ = try? r.peer.hub.shutdown() }
        kill(r.relay.pid, SIGTERM)
        #expect(Self.exitStatus(r.relay, within: 30) == 1)
        let out = r.relay.readAll()
        #expect(out.contains("stopped without finishing: the drain did not finish within 1 s"), "the relay said: \(out)")
        #expect(readFile(log).contains(#""msg":"stopped without finishing","why":"the drain did not finish within 1 s""#),
                "the log says why: \(readFile(log))")
        // The drain made what had come durable before it stalled on the goodbyes.
        let saved = try OpLog.load(path: OpLog.sidecarPath(for: r.file)).document(as: ReplicaID(1))
        #expect(Int(saved.seen(r.peer.hub.replica)) >= 20)
    }

    @Test(.enabled(if: TestEnvironment.binaryTestsRun, "the weave binary is not built (swift build)"))
    func aSecondSignalEndsADrainHeldByAFrozenPeer() throws {
        let dir = try TempDir()
        let r = try Self.relayWithAFrozenPeer(dir, ["--stop-timeout", "600"])
        defer { kill(r.bot, SIGKILL); _ = try? r.peer.hub.shutdown() }
        kill(r.relay.pid, SIGTERM)
        // The drain began (the goodbyes went out); the first signal has been taken. The frozen
        // peer holds the drain 5 s: SIGINT again every 300 ms within them (on a loaded machine
        // the relay may not be listening for it yet at the first), until it exits.
        #expect(Self.toldRestarting(r.peer))
        var status: Int32?
        for _ in 0 ..< 12 where status == nil {
            kill(r.relay.pid, SIGINT)
            status = Self.exitStatus(r.relay, within: 0.3, killing: false)
        }
        if status == nil { status = Self.exitStatus(r.relay, within: 30) }
        #expect(status == 1)
        let out = r.relay.readAll()
        #expect(out.contains("stopped without finishing: a second stop signal came before the drain finished"), "the relay said: \(out)")
    }
}
