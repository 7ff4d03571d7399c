#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import PeerTestSupport
import Testing
import WeaveCore
@testable import WeavePeer

/// A dial's TCP connect has its own clock (`Configuration.connectTimeout`),
/// not the handshake's: a SYN that gets no answer fails the dial, and the link
/// redials, after the connect timeout even when the handshake may take much
/// longer (issue 31). Loopback only: a listener whose accept queue is full
/// drops new SYNs, which is what a dead network looks like to a dial.
@Suite struct ConnectTimeoutTests {
    /// A listening socket on 127.0.0.1 whose accept queue is full (backlog 0,
    /// filled by connections nobody accepts): the kernel drops further SYNs.
    final class Blackhole {
        let listener: Int32
        var fillers: [Int32] = []
        let port: Int

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = 0
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
            }
            guard bound == 0, listen(fd, 0) == 0 else { close(fd); throw PeerError.io("could not listen on 127.0.0.1") }
            _ = withUnsafeMutablePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
            }
            listener = fd
            port = Int(UInt16(bigEndian: addr.sin_port))
            // Non-blocking connects: the first ones fill the queue, the later ones hang like the dial will.
            for _ in 0 ..< 3 {
                let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
                _ = withUnsafePointer(to: &addr) { p in
                    p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, len) }
                }
                fillers.append(s)
            }
        }

        deinit {
            for s in fillers { close(s) }
            close(listener)
        }
    }

    @Test func theShippedConnectTimeoutIsShorterThanTheHandshakeTimeout() {
        let c = PeerHub.Configuration()
        #expect(c.connectTimeout < c.handshakeTimeout)
        #expect(c.connectTimeout <= .seconds(3))
    }

    @Test func aDialThatGetsNoAnswerFailsAfterTheConnectTimeoutNotTheHandshakeTimeout() throws {
        let hole = try Blackhole()
        let events = EventLog()
        var c = SimPeer.testConfiguration
        c.handshakeTimeout = .seconds(120)
        c.handshakeLimit = .seconds(120)
        c.connectTimeout = .milliseconds(300)
        let hub = PeerHub(document: RGA(replica: ReplicaID(0x71)), configuration: c, onEvent: events.post)
        defer { _ = try? hub.shutdown() }
        hub.connect(host: "127.0.0.1", port: hole.port)
        let retried = eventually(15) {
            events.all.contains { if case .retrying = $0 { return true } else { return false } }
        }
        #expect(retried, "no redial within 15 s: the dial waited for the 120 s handshake timeout")
        let reasons = events.all.compactMap { e -> PeerError? in if case .retrying(_, _, let r) = e { return r } else { return nil } }
        #expect(reasons.first == .cannotConnect(address: "127.0.0.1:\(hole.port)", reason: "no answer in time"))
    }
}
