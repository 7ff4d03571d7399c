#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeavePeer

/// A connection storm: many peers dial one relay at once over loopback TLS (as
/// after a relay restart) and type while they connect. Every edit must arrive:
/// the characters are counted per peer, not only compared.
@Suite(.serialized) struct StormTests {
    static let relayIdentity = try! PeerIdentity.generate(name: "relay")

    /// A typist: its own replica (as an editor keeps it) and its hub.
    final class Typist {
        let letter: Unicode.Scalar
        var mirror: RGA
        let events = EventLog()
        let hub: PeerHub
        var typed = 0

        init(_ i: Int, configuration: PeerHub.Configuration) {
            letter = Unicode.Scalar(UInt32(0x4E00 + i))!  // one CJK ideograph per peer: countable
            mirror = RGA(replica: ReplicaID(UInt64(0x1000 + i)))
            var c = configuration
            c.name = "p\(i)"
            hub = PeerHub(document: mirror, configuration: c, onEvent: events.post)
        }

        func pump() throws {
            for e in events.take() {
                if case .remoteOperations(let ops, _) = e { try mirror.receive(contentsOf: ops) }
            }
        }

        func type() {
            guard let op = mirror.insert([letter], at: mirror.count) else { return }
            hub.submit(op)
            hub.setCursor(mirror.id(at: mirror.count - 1))
            typed += 1
        }
    }

    /// Every peer's link in the relay's and the peers' events that was cut for silence.
    static func silentCuts(_ logs: [EventLog]) -> Int {
        logs.reduce(0) { n, log in
            n + log.all.filter { e in
                switch e {
                case .peerLeft(_, .peerSilent), .retrying(_, _, .peerSilent), .connectionError(_, .peerSilent): return true
                default: return false
                }
            }.count
        }
    }

    @Test func fiftyPeersDialAtOnceAndEveryEditArrives() throws {
        let peers = 50, characters = 200
        let invitation = Invitation.make(for: Self.relayIdentity)
        var relayConfig = PeerHub.Configuration(name: "relay")
        relayConfig.showsCursor = false
        relayConfig.security = PeerSecurity(identity: Self.relayIdentity, invitations: InvitationBook([invitation]))
        let relayEvents = EventLog()
        let relay = PeerHub(document: RGA(replica: ReplicaID(0xFFF)), configuration: relayConfig, onEvent: relayEvents.post)
        defer { _ = try? relay.shutdown() }
        let port = try relay.listen(host: "127.0.0.1", port: 0).port!

        // Production keep-alive (1 s pings, dead after 6 s), quick redials.
        var config = PeerHub.Configuration()
        config.backoff = Backoff(initial: .milliseconds(50), cap: .seconds(1))
        let typists = (0 ..< peers).map { Typist($0, configuration: config) }
        defer { for t in typists { _ = try? t.hub.shutdown() } }

        // All dial at once, and type while the handshakes run: 200 characters
        // each at ~20 a second, while two busy threads load both cores (the
        // storm as reported: 50 weave-bots against weave serve).
        let token = Invitation(token: invitation.token)!
        let busy = BusyThreads(2)
        for t in typists { t.hub.connect(host: "127.0.0.1", port: port, invitation: token) }
        let start = NIODeadline.now()
        for _ in 0 ..< characters {
            for t in typists { t.type() }  // each at the end of its own text (the hubs merge)
            usleepMillis(50)
        }
        busy.stop()
        let typed = Double((NIODeadline.now() - start).nanoseconds) / 1e9

        // Every edit acknowledged by the relay, and every replica holding the same text.
        let delivered = try eventually(45) {
            try typists.allSatisfy { try $0.hub.currentDelivery().pending == 0 }
        }
        let pending = try typists.map { try $0.hub.currentDelivery().pending }
        #expect(delivered, "edits not acknowledged: \(pending)")
        let converged = try eventually(45) {
            let relayText = try relay.snapshot().text
            return try typists.allSatisfy { t in try t.hub.snapshot().text == relayText }
        }
        let text = try relay.snapshot().text
        let elapsed = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        print("storm: \(peers) peers typed \(characters) characters each in \(typed) s; acknowledged and converged after \(elapsed) s")
        #expect(converged, "not every replica converged within the time (\(elapsed) s)")
        var counts: [Unicode.Scalar: Int] = [:]
        for s in text.unicodeScalars { counts[s, default: 0] += 1 }
        #expect(text.unicodeScalars.count == peers * characters)
        for t in typists {
            #expect(counts[t.letter] == characters, "peer \(t.hub.configuration.name): \(counts[t.letter] ?? 0) of \(characters) characters arrived")
        }
        // The cause fixed: no link was cut for silence while every peer was alive.
        #expect(Self.silentCuts([relayEvents] + typists.map(\.events)) == 0)
    }

    /// Through a proxy that stalls past the keep-alive, then cuts every link:
    /// the peers redial and nothing typed meanwhile is lost.
    @Test func aStalledThenCutLinkLosesNothing() throws {
        let invitation = Invitation.make(for: Self.relayIdentity)
        var relayConfig = PeerHub.Configuration(name: "relay")
        relayConfig.showsCursor = false
        relayConfig.security = PeerSecurity(identity: Self.relayIdentity, invitations: InvitationBook([invitation]))
        let relay = PeerHub(document: RGA(replica: ReplicaID(0xFFF)), configuration: relayConfig)
        defer { _ = try? relay.shutdown() }
        let port = try relay.listen(host: "127.0.0.1", port: 0).port!
        let proxy = try FaultProxy(to: port)
        defer { proxy.stop() }

        var config = SimPeer.testConfiguration  // dead after 3 s
        config.backoff = Backoff(initial: .milliseconds(50), cap: .milliseconds(300))
        let a = Typist(0, configuration: config), b = Typist(1, configuration: config)
        defer { _ = try? a.hub.shutdown(); _ = try? b.hub.shutdown() }
        let token = Invitation(token: invitation.token)!
        a.hub.connect(host: "127.0.0.1", port: proxy.port, invitation: token)
        b.hub.connect(host: "127.0.0.1", port: port, invitation: token)  // b direct
        for _ in 0 ..< 10 { a.type(); b.type() }
        #expect(try eventually(20) { try a.hub.currentDelivery().pending == 0 && (try b.hub.currentDelivery().pending) == 0 })

        // A stall longer than the keep-alive: a's link is declared dead on both sides.
        proxy.stall(true)
        for _ in 0 ..< 10 { a.type() }
        #expect(eventually(20) {
            a.events.all.contains { if case .peerLeft(_, .peerSilent) = $0 { return true } else { return false } }
        }, "a stalled link is declared dead after the keep-alive")
        #expect(try a.hub.currentDelivery().pending > 0, "a's edits made during the stall are not acknowledged")
        // Then every link through the proxy is reset, and the stall ends: a redials.
        proxy.cut()
        proxy.stall(false)
        for _ in 0 ..< 10 { a.type() }
        #expect(try eventually(20) { try a.hub.currentDelivery().pending == 0 })
        #expect(try eventually(20) {
            try a.pump(); try b.pump()
            return a.mirror.text == b.mirror.text && a.mirror.count == 40
        }, "a: \(a.mirror.count) b: \(b.mirror.count)")
        let counts = a.mirror.text.unicodeScalars.reduce(into: [Unicode.Scalar: Int]()) { $0[$1, default: 0] += 1 }
        #expect(counts[a.letter] == 30 && counts[b.letter] == 10)
        #expect(proxy.counters.accepted >= 2, "a redialled through the proxy")
    }
}

/// Threads that spin until stopped: load for the cores while a test runs.
final class BusyThreads: @unchecked Sendable {
    private let running = NIOLockedValueBox(true)
    private var threads: [Thread] = []

    init(_ count: Int) {
        for _ in 0 ..< count {
            let t = Thread { [running] in
                var x: UInt64 = 1
                while running.withLockedValue({ $0 }) {
                    for _ in 0 ..< 10_000 { x = x &* 6364136223846793005 &+ 1 }
                }
                if x == 42 { print("") }
            }
            t.start()
            threads.append(t)
        }
    }

    func stop() { running.withLockedValue { $0 = false } }
    deinit { stop() }
}
