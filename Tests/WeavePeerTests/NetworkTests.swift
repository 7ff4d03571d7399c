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
        #expect(eventually(10) { presences(a).last.map { !$0.departed && $0.cursor == c.editor.id(at: 2) } ?? false },
                "A sees C's cursor through B")
        c.hub.setOnline(false)
        #expect(eventually(10) { presences(a).last?.departed == true }, "B forwards C's departure to A")
        #expect(eventually(10) { presences(b).last?.departed != true && b.events.all.contains {
            if case .peerLeft(let info, _) = $0 { return info.replica == ReplicaID(3) } else { return false } } })
        c.hub.setOnline(true)
        #expect(eventually(10) { presences(a).last.map { !$0.departed && $0.cursor == c.editor.id(at: 2) } ?? false },
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

    /// A newer host (protocol version 4, faked on a real loopback socket: it
    /// reads the Hello and answers with a version 4 Welcome). The joiner's hub
    /// refuses it with a Refuse frame naming both versions, over the socket,
    /// and its link fails for good (`.versionMismatch`, no retry).
    @Test func versionMismatchOverASocketStopsTheLink() throws {
        let newer = try NewerHost()
        let b = SimPeer(replica: 0x66)
        defer { _ = try? b.hub.shutdown() }
        let link = b.hub.connect(host: "127.0.0.1", port: newer.port)
        #expect(eventually(10) {
            b.events.all.contains {
                if case .linkFailed(link, .versionMismatch(theirs: 4, ours: weaveProtocolVersion)) = $0 { return true } else { return false }
            }
        })
        #expect(!b.events.all.contains { if case .retrying(link, _, _) = $0 { return true } else { return false } },
                "a link refused for its version was retried: \(b.events.all)")
        var received = ByteBuffer(bytes: try newer.received())
        var messages: [Message] = []
        while let payload = try FrameDecoder.nextFrame(&received, maxFrameSize: 1 << 20) { messages.append(try Message.decode(payload)) }
        #expect(messages.count == 2)
        #expect(messages.last == .refuse(Refusal(code: .versionMismatch, protocolVersion: weaveProtocolVersion,
                                                 text: "protocol version 4 is not supported (this Weave speaks version \(weaveProtocolVersion))")))
    }
}

/// A host of protocol version 4 on a loopback socket, as far as its Welcome:
/// it accepts one connection, reads the joiner's first bytes (its Hello),
/// answers with a version 4 Welcome, and keeps everything the joiner sends
/// until it closes the connection.
final class NewerHost: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let done = DispatchSemaphore(value: 0)
    private var bytes: [UInt8] = []
    private var failure: String?

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && Glibc.listen(fd, 1) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else {
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread.detachNewThread { [self] in
            serve()
            done.signal()
        }
    }

    deinit { close(listener) }

    private func serve() {
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else { failure = "accept: \(String(cString: strerror(errno)))"; return }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var chunk = [UInt8](repeating: 0, count: 4096)
        var welcomed = false
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 { failure = "recv: \(String(cString: strerror(errno)))"; return }
            if n == 0 { return }  // the joiner closed the connection
            bytes += chunk[..<n]
            if !welcomed {
                welcomed = true
                let welcome = greetingBytes(kind: .welcome, version: 4,
                                            Greeting(replica: ReplicaID(0x44), name: "newer", colour: 0, version: VersionVector()))
                _ = welcome.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
        }
    }

    /// Everything the joiner sent, once it closed the connection.
    func received() throws -> [UInt8] {
        guard done.wait(timeout: .now() + 15) == .success else { throw POSIXError(.ETIMEDOUT) }
        if let failure { throw POSIXError(.EIO, userInfo: [NSLocalizedDescriptionKey: failure]) }
        return bytes
    }
}
