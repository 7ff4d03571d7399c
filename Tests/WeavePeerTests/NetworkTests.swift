#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import Testing
import WeaveCore
@testable import WeavePeer

@Suite(.serialized) struct NetworkTests {
    @Test func threePeersEditingAtRandomConverge() throws {
        let seed = TestSeed.pick(0x3EE5)
        var g = SeededRandom(seed: seed)
        let a = SimPeer(replica: 0xA), b = SimPeer(replica: 0xB), c = SimPeer(replica: 0xC)
        defer { for p in [a, b, c] { _ = try? p.hub.shutdown() } }
        let pa = try a.listen(), pb = try b.listen()
        b.hub.connect(host: "127.0.0.1", port: pa)
        c.hub.connect(host: "127.0.0.1", port: pa)
        c.hub.connect(host: "127.0.0.1", port: pb)
        for round in 0 ..< 400 {
            let p = [a, b, c][g.int(0 ..< 3)]
            p.randomEdit(&g)
            if round % 10 == 0 {
                for q in [a, b, c] { try q.pump() }
                usleepMillis(1)
            }
        }
        #expect(try converge([a, b, c]), "seed \(seed)")
        for p in [a, b, c] { try p.editor.checkInvariants() }
        let stats = try b.hub.currentStats()
        #expect(stats.peers.filter { $0.state == .connected }.count == 2, "seed \(seed)")
        // Every link of b's: connected, nothing queued, and a round trip measured (heartbeats every 200 ms).
        #expect(try eventually(10) {
            try b.hub.currentStats().peers.allSatisfy { $0.state == .connected && $0.unitsQueued == 0 && $0.rtt != nil }
        }, "seed \(seed): \(String(describing: try? b.hub.currentStats().peers))")
    }

    @Test func chainConverges() throws {
        let seed = TestSeed.pick(0xC4A1)
        var g = SeededRandom(seed: seed)
        let a = SimPeer(replica: 1), b = SimPeer(replica: 2), c = SimPeer(replica: 3)
        defer { for p in [a, b, c] { _ = try? p.hub.shutdown() } }
        // A – B – C: A and C are not connected.
        let pa = try a.listen(), pb = try b.listen()
        b.hub.connect(host: "127.0.0.1", port: pa)
        c.hub.connect(host: "127.0.0.1", port: pb)
        a.type("from A. ")
        for _ in 0 ..< 100 {
            [a, c][g.int(0 ..< 2)].randomEdit(&g)
        }
        #expect(try converge([a, b, c]), "seed \(seed)")
        #expect(a.editor.text == c.editor.text, "seed \(seed)")
        #expect(try a.hub.currentStats().peers.count == 1)
    }

    /// A – B – C: A sees C's cursor through B; when C's link to B goes, B
    /// tells A that C departed (no ghost cursor); when C comes back without
    /// moving its cursor, A sees it again.
    @Test func relayedCursorIsForgottenWhenItsPeerLeavesAndShownWhenItReturns() throws {
        let a = SimPeer(replica: 1, name: "a"), b = SimPeer(replica: 2, name: "b"), c = SimPeer(replica: 3, name: "c")
        defer { for p in [a, b, c] { _ = try? p.hub.shutdown() } }
        let pa = try a.listen(), pb = try b.listen()
        b.hub.connect(host: "127.0.0.1", port: pa)
        c.hub.connect(host: "127.0.0.1", port: pb)
        c.type("hello")
        #expect(try converge([a, b, c]))
        c.hub.setCursor(c.editor.id(at: 2))
        func presences(_ p: SimPeer) -> [Presence] {
            p.events.all.compactMap { if case .presence(let x) = $0, x.replica == ReplicaID(3) { return x } else { return nil } }
        }
        #expect(try eventually(10) { presences(a).last.map { !$0.departed && $0.cursor == c.editor.id(at: 2) } ?? false },
                "A sees C's cursor through B")
        c.hub.setOnline(false)
        #expect(try eventually(10) { presences(a).last?.departed == true }, "B forwards C's departure to A")
        #expect(try eventually(10) { presences(b).last?.departed != true && b.events.all.contains {
            if case .peerLeft(let info, _) = $0 { return info.replica == ReplicaID(3) } else { return false } } })
        c.hub.setOnline(true)
        #expect(try eventually(10) { presences(a).last.map { !$0.departed && $0.cursor == c.editor.id(at: 2) } ?? false },
                "C is shown again on its return, though its cursor did not move")
        // A direct peer's departure is its peerLeft; no second event for it.
        #expect(!presences(b).contains { $0.departed })
    }

    /// Typing goes on through a cut; after it, both sides exchange what the
    /// other lacks and nothing typed is lost.
    @Test func linkCutMidTypingLosesNothing() throws {
        let host = SimPeer(replica: 0x11, name: "host"), joiner = SimPeer(replica: 0x22, name: "joiner")
        defer { for p in [host, joiner] { _ = try? p.hub.shutdown() } }
        let port = try host.listen()
        let link = joiner.hub.connect(host: "127.0.0.1", port: port)
        for i in 0 ..< 300 {
            if i == 100 { joiner.hub.setOnline(false) }
            if i == 250 { joiner.hub.setOnline(true) }
            host.type("h")
            joiner.type("j")
            if i % 20 == 0 { try host.pump(); try joiner.pump(); usleepMillis(2) }
            if i == 200 {
                // The offline link's state, once its connection has closed (on the hub's loop).
                #expect(try eventually(10) {
                    let l = try joiner.hub.currentStats().peers.first { $0.link == link }
                    return l?.state == .offline && (l?.unitsQueued ?? 0) > 0
                })
            }
        }
        #expect(try converge([host, joiner]))
        let text = host.editor.text
        #expect(text.filter { $0 == "h" }.count == 300)
        #expect(text.filter { $0 == "j" }.count == 300)
        #expect(joiner.events.all.contains { if case .retrying = $0 { return true } else { return false } } == false)
        #expect(joiner.events.all.filter { if case .peerJoined = $0 { return true } else { return false } }.count == 2)
    }

    /// A peer that goes away abruptly and comes back on the same port — with
    /// the replica it had kept, or as a fresh replica — catches up, and the
    /// other side's reconnecting link finds it.
    @Test func restartedPeerCatchesUp() throws {
        let host = SimPeer(replica: 0x33, name: "host"), joiner = SimPeer(replica: 0x44, name: "joiner")
        defer { _ = try? joiner.hub.shutdown() }
        let port = try host.listen()
        joiner.hub.connect(host: "127.0.0.1", port: port)
        host.type("host typed this. ")
        joiner.type("joiner typed that. ")
        #expect(try converge([host, joiner]))
        // The host goes; the joiner keeps typing and keeps redialling.
        let kept = try host.hub.shutdown()
        #expect(try eventually(10) { try joiner.hub.currentStats().peers.allSatisfy { $0.state != .connected } })
        joiner.type("while away. ")
        // Back with its kept replica, on the same port.
        let again = SimPeer(kept, name: "host again")
        try Self.listenAgain(again, port: port)
        again.type("back. ")
        #expect(try converge([again, joiner]))
        #expect(again.editor.text.contains("while away. ") && again.editor.text.contains("back. "))
        _ = try again.hub.shutdown()
        // Back as a fresh replica: it receives the whole history.
        let fresh = SimPeer(replica: 0x55, name: "fresh")
        defer { _ = try? fresh.hub.shutdown() }
        try Self.listenAgain(fresh, port: port)
        #expect(try converge([fresh, joiner]))
        #expect(fresh.editor.text == joiner.editor.text)
        #expect(fresh.events.all.contains { if case .caughtUp = $0 { return true } else { return false } })
    }

    /// Binds `port` again, retrying for up to 5 s: the joiner redials it every
    /// 100 ms–5 s, and on Linux a connect to a free loopback port in the
    /// ephemeral range can connect to itself (source port = destination port),
    /// holding the port until that odd link closes.
    static func listenAgain(_ peer: SimPeer, port: Int) throws {
        var last: Error?
        for _ in 0 ..< 50 {
            do {
                try peer.hub.listen(host: "127.0.0.1", port: port)
                return
            } catch {
                last = error
                usleep(100_000)
            }
        }
        throw last!
    }

    @Test func versionMismatchOverASocketStopsTheLink() throws {
        // A fake "version 2" host: answers any Hello with a Refuse and closes.
        let a = SimPeer(replica: 0x66)
        defer { _ = try? a.hub.shutdown() }
        let port = try a.listen()
        let b = SimPeer(replica: 0x66)  // same replica: refused for good
        defer { _ = try? b.hub.shutdown() }
        let link = b.hub.connect(host: "127.0.0.1", port: port)
        #expect(try eventually(10) {
            b.events.all.contains { if case .linkFailed(link, .refused(let r)) = $0 { return r.code == .sameReplica } else { return false } }
        })
    }
}
