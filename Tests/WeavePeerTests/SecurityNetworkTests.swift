#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import Testing
import WeaveCore
@testable import WeavePeer

/// TLS links over real loopback sockets: an invited joiner gets in; every other
/// one is refused with its reason on both sides, having received no document.
@Suite(.serialized) struct SecurityNetworkTests {
    static let hostIdentity = try! PeerIdentity.generate(name: "host")
    static let joinerIdentity = try! PeerIdentity.generate(name: "joiner")

    final class Peer {
        let events = EventLog()
        let hub: PeerHub
        init(_ doc: RGA, identity: PeerIdentity?, invitations: [Invitation] = [], timeout: TimeAmount = .seconds(3)) {
            var c = SimPeer.testConfiguration
            c.handshakeTimeout = timeout
            c.security = identity.map { PeerSecurity(identity: $0, invitations: InvitationBook(invitations)) }
            hub = PeerHub(document: doc, configuration: c, onEvent: events.post)
        }
        func text() throws -> String { try hub.snapshot().text }
        func units() throws -> Int { try hub.snapshot().version.total }
        var errors: [PeerError] {
            events.all.compactMap { e -> PeerError? in
                switch e {
                case .connectionError(_, let r), .linkFailed(_, let r), .peerLeft(_, let r), .retrying(_, _, let r): return r
                default: return nil
                }
            }
        }
        var linkFailure: PeerError? {
            events.all.lazy.compactMap { e -> PeerError? in if case .linkFailed(_, let r) = e { return r } else { return nil } }.first
        }
    }

    /// A host holding "top secret" that accepts `invitation`.
    static func host(_ invitation: Invitation, timeout: TimeAmount = .seconds(3)) throws -> (Peer, Int) {
        var doc = RGA(replica: ReplicaID(0x51))
        doc.insert("top secret", at: 0)
        let h = Peer(doc, identity: hostIdentity, invitations: [invitation], timeout: timeout)
        return (h, try h.hub.listen(host: "127.0.0.1", port: 0).port!)
    }

    @Test func invitedJoinerSyncsOverTLS() throws {
        let inv = Invitation.make(for: Self.hostIdentity)
        let (h, port) = try Self.host(inv)
        defer { _ = try? h.hub.shutdown() }
        let j = Peer(RGA(replica: ReplicaID(0x52)), identity: Self.joinerIdentity)
        defer { _ = try? j.hub.shutdown() }
        j.hub.connect(host: "127.0.0.1", port: port, invitation: Invitation(token: inv.token)!)
        #expect(try eventually(10) { try j.text() == "top secret" })
        var mine = try j.hub.snapshot()
        j.hub.submit(mine.insert("!", at: 10)!)
        #expect(try eventually(10) { try h.text() == "top secret!" })
        let joined = h.events.all.compactMap { e -> PeerInfo? in if case .peerJoined(let i) = e { return i } else { return nil } }
        #expect(joined.first?.fingerprint == Self.joinerIdentity.fingerprintHex)
        let joinedJ = j.events.all.compactMap { e -> PeerInfo? in if case .peerJoined(let i) = e { return i } else { return nil } }
        #expect(joinedJ.first?.fingerprint == Self.hostIdentity.fingerprintHex)
    }

    @Test func wrongSecretIsRefusedOnBothSides() throws {
        let inv = Invitation.make(for: Self.hostIdentity)
        let (h, port) = try Self.host(inv)
        defer { _ = try? h.hub.shutdown() }
        var forged = inv
        forged.secret[0] ^= 1
        let j = Peer(RGA(replica: ReplicaID(0x52)), identity: Self.joinerIdentity)
        defer { _ = try? j.hub.shutdown() }
        j.hub.connect(host: "127.0.0.1", port: port, invitation: forged)
        #expect(eventually(10) { j.linkFailure != nil })
        #expect(j.linkFailure == .unauthorized(.wrongSecret))
        #expect(eventually(5) { h.errors.contains(.unauthorized(.wrongSecret)) })
        #expect(try j.units() == 0, "no document byte reached the joiner")
    }

    @Test func wrongFingerprintIsRefusedByTheJoiner() throws {
        let inv = Invitation.make(for: Self.hostIdentity)
        let (h, port) = try Self.host(inv)
        defer { _ = try? h.hub.shutdown() }
        var other = inv
        other.hostFingerprint = Self.joinerIdentity.fingerprint  // the invitation names another host
        let j = Peer(RGA(replica: ReplicaID(0x52)), identity: Self.joinerIdentity)
        defer { _ = try? j.hub.shutdown() }
        j.hub.connect(host: "127.0.0.1", port: port, invitation: other)
        #expect(eventually(10) { j.linkFailure != nil })
        #expect(j.linkFailure == .unauthorized(.fingerprintMismatch(expected: Self.joinerIdentity.fingerprintHex,
                                                                    got: Self.hostIdentity.fingerprintHex)))
        #expect(eventually(5) { h.errors.contains { if case .unauthorized(.tls) = $0 { return true } else { return false } } })
        #expect(try j.units() == 0)
    }

    @Test func plaintextClientToTLSHostIsRefusedWithItsReason() throws {
        let inv = Invitation.make(for: Self.hostIdentity)
        let (h, port) = try Self.host(inv)
        defer { _ = try? h.hub.shutdown() }
        let j = Peer(RGA(replica: ReplicaID(0x52)), identity: nil)
        defer { _ = try? j.hub.shutdown() }
        j.hub.connect(host: "127.0.0.1", port: port)  // no invitation: plaintext
        #expect(eventually(10) { j.linkFailure != nil })
        guard case .refused(let r)? = j.linkFailure else { Issue.record("\(String(describing: j.linkFailure))"); return }
        #expect(r.code == .unauthorized && r.text.contains("TLS"))
        #expect(eventually(5) { h.errors.contains(.unauthorized(.plaintextPeer)) })
        #expect(try j.units() == 0)
    }

    /// Over real TLS: the joiner learns it is read-only from the host's
    /// Accept; its edits are declined (an event, not a closed link), and the
    /// host's later typing still arrives.
    @Test func readOnlyJoinerWatchesItsEditsAreDeclinedAndItKeepsWatching() throws {
        let inv = Invitation.make(for: Self.hostIdentity, readOnly: true)
        let (h, port) = try Self.host(inv)
        defer { _ = try? h.hub.shutdown() }
        let j = Peer(RGA(replica: ReplicaID(0x52)), identity: Self.joinerIdentity)
        defer { _ = try? j.hub.shutdown() }
        j.hub.connect(host: "127.0.0.1", port: port, invitation: inv)
        #expect(try eventually(10) { try j.text() == "top secret" })
        #expect(j.events.all.contains { if case .peerJoined(let i) = $0 { return i.readOnly && i.outbound } else { return false } })
        var mine = try j.hub.snapshot()
        j.hub.submit(mine.insert("vandal ", at: 0)!)
        func declined() -> (units: Int, reason: String)? {
            j.events.all.lazy.compactMap { e -> (Int, String)? in
                if case .editsDeclined(_, let n, let r) = e { return (n, r) } else { return nil }
            }.first
        }
        #expect(eventually(10) { declined() != nil })
        #expect(declined()?.units == 7 && declined()?.reason.contains("read-only") == true)
        #expect(j.linkFailure == nil)
        #expect(try h.text() == "top secret")
        // The host types on; the watcher still receives it over the same link.
        var hostDoc = try h.hub.snapshot()
        h.hub.submit(hostDoc.insert(" file", at: hostDoc.count)!)
        #expect(try eventually(10) { try j.text().hasSuffix("top secret file") })
        #expect(!j.events.all.contains { if case .peerLeft = $0 { return true } else { return false } })
        #expect(try j.hub.currentStats().peers.count == 1)
    }

    /// A host whose book is its invitations file, with no periodic refresh to
    /// speak of: an invitation issued in the file after the host started admits
    /// its joiner on the first try.
    @Test func anInvitationIssuedWhileTheHostRunsAdmitsAtOnce() throws {
        let dir = try TempDir("new-invite")
        let store = InvitationStore(document: dir.file("doc.txt"), directory: dir.file("config"))
        _ = try store.standing(for: Self.hostIdentity, readOnly: false)
        var c = SimPeer.testConfiguration
        c.security = PeerSecurity(identity: Self.hostIdentity, invitations: try InvitationBook(store: store, for: Self.hostIdentity))
        c.revocationCheckInterval = .seconds(3600)
        var doc = RGA(replica: ReplicaID(0x51))
        doc.insert("top secret", at: 0)
        let events = EventLog()
        let host = PeerHub(document: doc, configuration: c, onEvent: events.post)
        defer { _ = try? host.shutdown() }
        let port = try host.listen(host: "127.0.0.1", port: 0).port!
        let fresh = try InvitationStore(document: dir.file("doc.txt"), directory: dir.file("config"))
            .issue(for: Self.hostIdentity, readOnly: false, validFor: nil, label: "new")
        let j = Peer(RGA(replica: ReplicaID(0x52)), identity: Self.joinerIdentity)
        defer { _ = try? j.hub.shutdown() }
        j.hub.connect(host: "127.0.0.1", port: port, invitation: fresh)
        #expect(try eventually(10) { try j.text() == "top secret" })
        #expect(j.errors.isEmpty, "admitted on the first try: \(j.errors)")
    }

    @Test func oneBytePerSecondPeerIsDroppedAtTheHandshakeTimeout() throws {
        let inv = Invitation.make(for: Self.hostIdentity)
        let (h, port) = try Self.host(inv, timeout: .seconds(2))
        defer { _ = try? h.hub.shutdown() }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(rc == 0)
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let start = NIODeadline.now()
        var closedAfter: TimeAmount?
        // A TLS record header, one byte a second; bounded at 8 s.
        let slow: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC]
        outer: for byte in slow {
            var b = byte
            if send(fd, &b, 1, Int32(MSG_NOSIGNAL)) < 0 { closedAfter = NIODeadline.now() - start; break }
            for _ in 0..<10 {
                var sink = [UInt8](repeating: 0, count: 256)
                let n = recv(fd, &sink, sink.count, 0)
                if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { closedAfter = NIODeadline.now() - start; break outer }
            }
        }
        guard let closedAfter else { Issue.record("the slow peer was never dropped"); return }
        // Not before the timeout, and for it (the hub's own reason): when the
        // close is *seen* depends on this thread being scheduled, which a
        // loaded machine running every suite at once delayed to 6.9 s, so the
        // wall clock is no upper bound here; the drop coming before the 9
        // slow bytes ran out is.
        #expect(closedAfter >= .milliseconds(1500), "closed after \(closedAfter)")
        #expect(eventually(5) { h.errors.contains(.handshakeTimeout(seconds: 2)) })
    }
}
