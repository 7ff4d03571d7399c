import Foundation
import NIOCore
import NIOEmbedded
import NIOTLS
import Testing
import WeaveCore
@testable import WeavePeer

/// The authentication step on `EmbeddedChannel`s (TLS itself is replaced by
/// injected certificate fingerprints; the loopback tests run the real TLS):
/// each refusal with its reason, and no document byte before authentication.
@Suite struct SecurityEmbeddedTests {
    static let hostFP = Array(repeating: UInt8(0xAA), count: 32)
    static let joinerFP = Array(repeating: UInt8(0xBB), count: 32)
    static let identity = try! PeerIdentity.generate()

    struct Host {
        let loop = EmbeddedEventLoop()
        let events = EventLog()
        let hub: PeerHub
        let book = InvitationBook()
        let invitation: Invitation

        init(readOnly: Bool = false) {
            var doc = RGA(replica: ReplicaID(0xA))
            doc.insert("secret document", at: 0)
            var config = PeerHub.Configuration(name: "host")
            config.outboundPacing = .zero  // embedded time stands still: every round on the next run()
            // The hub re-checks its links against the same book (revocation).
            config.security = PeerSecurity(identity: SecurityEmbeddedTests.identity, invitations: book)
            hub = PeerHub(document: doc, configuration: config, eventLoop: loop, onEvent: events.post)
            invitation = Invitation(hostFingerprint: SecurityEmbeddedTests.hostFP, id: Array(repeating: 7, count: 8),
                                    secret: Array(repeating: 42, count: 20), readOnly: readOnly)
            book.add(invitation)
        }

        /// An accepted connection behind an AuthHandler, TLS "done": returns it and the host's challenge nonce.
        /// `approval`: the hub asks its user before letting the newcomer in.
        func connection(approval: Bool = false, fingerprint: [UInt8] = SecurityEmbeddedTests.joinerFP) throws -> (EmbeddedChannel, [UInt8]) {
            let ch = EmbeddedChannel(loop: loop)
            try ch.pipeline.syncOperations.addHandler(AuthHandler(role: .host(book), ownFingerprint: SecurityEmbeddedTests.hostFP,
                                                                  admission: approval ? hub : nil,
                                                                  peerFingerprint: { _ in fingerprint }))
            try hub.install(on: ch, link: nil)
            try ch.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7070)).wait()
            ch.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
            loop.run()
            let out = try authFrames(ch)
            guard out.count == 1, out[0].first == 0x41, out[0].count == 6 + 32 else { throw PeerError.io("no challenge: \(out)") }
            return (ch, Array(out[0][6...]))
        }

        var reasons: [PeerError] {
            events.all.compactMap { e -> PeerError? in if case .connectionError(_, let r) = e { return r } else { return nil } }
        }
    }

    /// Every frame written, as raw payloads.
    static func authFrames(_ ch: EmbeddedChannel) throws -> [[UInt8]] {
        var all = ByteBuffer()
        while let b = try ch.readOutbound(as: ByteBuffer.self) { all.writeImmutableBuffer(b) }
        var out: [[UInt8]] = []
        while let p = try FrameDecoder.nextFrame(&all, maxFrameSize: 1 << 30) { out.append(p) }
        #expect(all.readableBytes == 0)
        return out
    }

    static func proof(_ inv: Invitation, secret: [UInt8]? = nil, hostNonce: [UInt8], joinerNonce: [UInt8] = Array(repeating: 3, count: 32),
                      name: String = "") -> [UInt8] {
        let mac = AuthStep.mac(secret: secret ?? inv.secret, hostFingerprint: hostFP, joinerFingerprint: joinerFP,
                               hostNonce: hostNonce, joinerNonce: joinerNonce, id: inv.id, name: Array(name.utf8))
        return FrameEncoder.frame([0x42] + Array("WVAU".utf8) + [2] + inv.id + joinerNonce + mac + Array(name.utf8))
    }

    static func hello() -> [UInt8] {
        frameBytes(.hello(Greeting(replica: ReplicaID(0xB), name: "joiner", colour: 2, version: VersionVector())))
    }

    /// A refusal frame: code and reason, and nothing else was written (no Weave frame: no document byte).
    static func expectOnlyRefusal(_ out: [[UInt8]], code: UInt8, _ comment: Comment? = nil) {
        #expect(out.count == 1, comment)
        #expect(out.first?.first == 0x44 && out.first?.dropFirst().first == code, comment)
        #expect(!out.contains { $0.first.map { Message.Kind(rawValue: $0) != nil } ?? false }, "a Weave frame was sent before authentication")
    }

    @Test func rightSecretJoinsAndGetsTheDocument() throws {
        let h = Host()
        let (ch, nonce) = try h.connection()
        try ch.writeInbound(buffer(Self.proof(h.invitation, hostNonce: nonce) + Self.hello()))
        h.loop.run()
        let out = try Self.authFrames(ch)
        #expect(out.first == [0x43, 0])
        let messages = try out.dropFirst().map { try Message.decode($0) }
        guard case .welcome = messages.first else { Issue.record("\(messages)"); return }
        #expect(messages.contains { if case .ops = $0 { return true } else { return false } })
        #expect(ch.isActive)
    }

    @Test func wrongSecretIsRefusedBeforeAnyDocumentByte() throws {
        let h = Host()
        let (ch, nonce) = try h.connection()
        // An eager joiner sends its Hello right behind the proof: it must not be answered.
        try ch.writeInbound(buffer(Self.proof(h.invitation, secret: Array(repeating: 43, count: 20), hostNonce: nonce) + Self.hello()))
        h.loop.run()
        let out = try Self.authFrames(ch)
        Self.expectOnlyRefusal(out, code: 1)
        #expect(String(decoding: out[0].dropFirst(2), as: UTF8.self).contains("wrong secret"))
        #expect(!ch.isActive)
        #expect(h.reasons == [.unauthorized(.wrongSecret)])
    }

    @Test func replayedProofIsRefused() throws {
        let h = Host()
        let (ch1, nonce1) = try h.connection()
        let proof = Self.proof(h.invitation, hostNonce: nonce1)
        try ch1.writeInbound(buffer(proof))
        h.loop.run()
        #expect(try Self.authFrames(ch1) == [[0x43, 0]])
        // An eavesdropper (or the TLS session's other end) replays the same proof on a new connection.
        let (ch2, nonce2) = try h.connection()
        #expect(nonce2 != nonce1)
        try ch2.writeInbound(buffer(proof + Self.hello()))
        h.loop.run()
        Self.expectOnlyRefusal(try Self.authFrames(ch2), code: 1)
        #expect(!ch2.isActive)
        #expect(h.reasons.contains(.unauthorized(.wrongSecret)))
    }

    @Test func revokedExpiredAndUnknownInvitationsAreRefused() throws {
        let h = Host()
        var expired = Invitation.make(for: try PeerIdentity.generate(), validFor: 0)
        expired.hostFingerprint = Self.hostFP
        expired.expires = 1
        h.book.add(expired)
        let stranger = Invitation(hostFingerprint: Self.hostFP, id: Array(repeating: 9, count: 8), secret: Array(repeating: 1, count: 20))
        for (inv, code, reason) in [(expired, UInt8(3), PeerError.unauthorized(.invitationExpired)),
                                    (stranger, 2, .unauthorized(.unknownInvitation))] {
            let (ch, nonce) = try h.connection()
            try ch.writeInbound(buffer(Self.proof(inv, hostNonce: nonce) + Self.hello()))
            h.loop.run()
            Self.expectOnlyRefusal(try Self.authFrames(ch), code: code, "\(reason)")
            #expect(h.reasons.last == reason)
        }
        h.book.revoke(h.invitation)
        let (ch, nonce) = try h.connection()
        try ch.writeInbound(buffer(Self.proof(h.invitation, hostNonce: nonce) + Self.hello()))
        h.loop.run()
        Self.expectOnlyRefusal(try Self.authFrames(ch), code: 4)
        #expect(h.reasons.last == .unauthorized(.invitationRevoked))
    }

    @Test func otherAuthVersionIsRefusedNamingBoth() throws {
        let h = Host()
        let (ch, _) = try h.connection()
        try ch.writeInbound(buffer(FrameEncoder.frame([0x42] + Array("WVAU".utf8) + [1] + Array(repeating: 0, count: 72))))
        h.loop.run()
        Self.expectOnlyRefusal(try Self.authFrames(ch), code: 6)
        #expect(h.reasons.last == .unauthorized(.protocolVersion(theirs: 1, ours: 2)))
    }

    @Test func weaveHelloInsteadOfProofIsRefused() throws {
        let h = Host()
        let (ch, _) = try h.connection()
        try ch.writeInbound(buffer(Self.hello()))
        h.loop.run()
        Self.expectOnlyRefusal(try Self.authFrames(ch), code: 10)
        #expect(!ch.isActive)
    }

    @Test func fourGiBLengthDuringAuthenticationIsRefusedAtOnce() throws {
        let h = Host()
        let (ch, _) = try h.connection()
        try ch.writeInbound(buffer([0xFF, 0xFF, 0xFF, 0xFF]))
        h.loop.run()
        Self.expectOnlyRefusal(try Self.authFrames(ch), code: 10)
        #expect(!ch.isActive)
        guard case .unauthorized(.malformed(let s))? = h.reasons.last else { Issue.record("\(h.reasons)"); return }
        #expect(s.contains("4294967295"))
    }

    /// A read-only joiner's Ops are not applied: the host answers Declined
    /// (the units it held, why) and keeps the link, so the watcher goes on
    /// receiving the host's edits; every further batch is declined the same way.
    @Test func readOnlyPeerGetsTheDocumentButItsEditsAreDeclinedAndTheLinkStays() throws {
        let h = Host(readOnly: true)
        let (ch, nonce) = try h.connection()
        try ch.writeInbound(buffer(Self.proof(h.invitation, hostNonce: nonce) + Self.hello()))
        h.loop.run()
        let out = try Self.authFrames(ch)
        #expect(out.first == [0x43, 1])
        let messages = try out.dropFirst().map { try Message.decode($0) }
        #expect(messages.contains { if case .ops = $0 { return true } else { return false } }, "the document is still sent")
        var mine = RGA(replica: ReplicaID(0xB))
        for (i, word) in ["x", "yz"].enumerated() {
            let op = mine.insert(word, at: 0)!
            try ch.writeInbound(buffer(frameBytes(.ops([op]))))
            h.loop.run()
            let after = try Self.authFrames(ch).map { try Message.decode($0) }
            #expect(after == [.declined(Declined(code: .unauthorized, units: UInt64(word.count), reason: AuthFailure.readOnly.description))],
                    "batch \(i)")
            #expect(ch.isActive, "the link stays open")
        }
        #expect(h.hub.document.text == "secret document")
        #expect(!h.events.all.contains { if case .peerLeft = $0 { return true } else { return false } })
        // The host's next edit still reaches the watcher.
        var hostDoc = h.hub.document
        h.hub.submit(hostDoc.insert("!", at: hostDoc.count)!)
        h.loop.run()
        let live = try Self.authFrames(ch).map { try Message.decode($0) }
        #expect(live.contains { if case .ops(let ops) = $0 { return ops.contains { $0.length == 1 } } else { return false } }, "\(live)")
        let stats = h.hub.makeStats()
        #expect(stats.peers.first?.state == .connected)
    }

    @Test func handshakeTimeoutClosesASilentJoiner() throws {
        let h = Host()
        let (ch, _) = try h.connection()
        try ch.writeInbound(buffer([0, 0]))  // a byte at a time, never finishing
        h.loop.advanceTime(by: .seconds(6))
        #expect(!ch.isActive)
        #expect(h.reasons.last == .handshakeTimeout(seconds: 5))
    }

    @Test func invitationTokenRoundTrips() throws {
        let id = try PeerIdentity.generate()
        for inv in [Invitation.make(for: id), Invitation.make(for: id, readOnly: true, validFor: 3600)] {
            let token = inv.token
            #expect(token.hasPrefix("wv1-") && !token.contains("=") && !token.contains("/") && !token.contains("+"))
            #expect(Invitation(token: token) == inv)
            #expect(inv.secret.count * 8 >= 128)
        }
        #expect(Invitation(token: "wv1-AAAA") == nil)
        #expect(Invitation(token: "nonsense") == nil)
    }

    @Test func identityIsMadeOnceAndKeptPrivate() throws {
        let dir = NSTemporaryDirectory() + "weave-identity-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try PeerIdentity.loadOrCreate(directory: dir)
        let b = try PeerIdentity.loadOrCreate(directory: dir)
        #expect(a.fingerprint == b.fingerprint && a.fingerprint.count == 32)
        for f in [PeerIdentity.keyFile, PeerIdentity.certificateFile] {
            let attrs = try FileManager.default.attributesOfItem(atPath: dir + "/" + f)
            #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(f)")
        }
        #expect(PeerIdentity.defaultDirectory(environment: ["XDG_CONFIG_HOME": "/x"]) == "/x/weave")
        #expect(PeerIdentity.defaultDirectory(environment: ["HOME": "/h"]) == "/h/.config/weave")
        #expect(PeerIdentity.defaultDirectory(environment: ["WEAVE_CONFIG_DIR": "/w", "HOME": "/h"]) == "/w")
    }

    // MARK: Approval on screen (weave host --approve)

    func requests(_ h: Host) -> [Newcomer] {
        h.events.all.compactMap { if case .approvalRequested(let n) = $0 { return n } else { return nil } }
    }

    /// A newcomer named `name` with a valid proof, on a host that asks its user:
    /// its channel, once the host has sent Pending (which is checked and taken).
    func asked(_ h: Host, name: String, eager: Bool = false) throws -> EmbeddedChannel {
        let (ch, nonce) = try h.connection(approval: true)
        try ch.writeInbound(buffer(Self.proof(h.invitation, hostNonce: nonce, name: name) + (eager ? Self.hello() : [])))
        h.loop.run()
        let pending = try Self.authFrames(ch)
        #expect(pending == [[0x45, 120]], "\(pending) \(h.reasons)")
        return ch
    }

    @Test func approvalHoldsEveryDocumentByteUntilTheUserLetsTheNewcomerIn() throws {
        let h = Host()
        let (ch, nonce) = try h.connection(approval: true)
        try ch.writeInbound(buffer(Self.proof(h.invitation, hostNonce: nonce, name: "bob") + Self.hello()))
        h.loop.run()
        // Only "Pending" (0x45, the seconds the user has): no Accept, no Weave frame.
        #expect(try Self.authFrames(ch) == [[0x45, 120]])
        let asked = requests(h)
        #expect(asked.count == 1)
        #expect(asked.first?.name == "bob")
        #expect(asked.first?.fingerprint == PeerIdentity.hex(Self.joinerFP))
        #expect(asked.first?.invitation == PeerIdentity.hex(h.invitation.id))
        // The 5 s handshake timeout does not apply while the user is asked.
        h.loop.advanceTime(by: .seconds(30))
        #expect(ch.isActive)
        #expect(try Self.authFrames(ch).isEmpty)
        h.hub.answer(asked[0].request, allow: true)
        h.loop.run()
        let out = try Self.authFrames(ch)
        #expect(out.first == [0x43, 0])
        let messages = try out.dropFirst().map { try Message.decode($0) }
        guard case .welcome = messages.first else { Issue.record("\(messages)"); return }
        #expect(messages.contains { if case .ops = $0 { return true } else { return false } })
        #expect(h.events.all.contains { if case .peerJoined(let p) = $0 { return p.name == "joiner" } else { return false } })
        // The same key reconnecting (a dropped link) is not asked again.
        let (ch2, nonce2) = try h.connection(approval: true)
        try ch2.writeInbound(buffer(Self.proof(h.invitation, hostNonce: nonce2, name: "bob")))
        h.loop.run()
        #expect(try Self.authFrames(ch2) == [[0x43, 0]])
        #expect(requests(h).count == 1)
        // Another key is.
        let (ch3, nonce3) = try h.connection(approval: true, fingerprint: Array(repeating: 0xCC, count: 32))
        let mac = AuthStep.mac(secret: h.invitation.secret, hostFingerprint: Self.hostFP, joinerFingerprint: Array(repeating: 0xCC, count: 32),
                               hostNonce: nonce3, joinerNonce: Array(repeating: 3, count: 32), id: h.invitation.id, name: Array("eve".utf8))
        try ch3.writeInbound(buffer(FrameEncoder.frame([0x42] + Array("WVAU".utf8) + [2] + h.invitation.id
                                                       + Array(repeating: 3, count: 32) + mac + Array("eve".utf8))))
        h.loop.run()
        #expect(try Self.authFrames(ch3) == [[0x45, 120]])
        #expect(requests(h).last?.name == "eve")
    }

    @Test func refusedNewcomerGetsTheReasonAndNothingElse() throws {
        let h = Host()
        let ch = try asked(h, name: "mallory", eager: true)
        h.hub.answer(requests(h)[0].request, allow: false)
        h.loop.run()
        let out = try Self.authFrames(ch)
        Self.expectOnlyRefusal(out, code: 11)
        #expect(String(decoding: out[0].dropFirst(2), as: UTF8.self) == "the host did not let you in")
        #expect(!ch.isActive)
        #expect(h.reasons.last == .unauthorized(.notApproved))
        #expect(!h.events.all.contains { if case .peerJoined = $0 { return true } else { return false } })
    }

    @Test func unansweredNewcomerIsRefusedAtTheApprovalTimeoutAndTheQuestionWithdrawn() throws {
        let h = Host()
        let ch = try asked(h, name: "bob")
        let request = requests(h)[0].request
        h.loop.advanceTime(by: .seconds(121))
        Self.expectOnlyRefusal(try Self.authFrames(ch), code: 12)
        #expect(!ch.isActive)
        #expect(h.reasons.last == .unauthorized(.approvalTimedOut(seconds: 120)))
        #expect(h.events.all.contains { if case .approvalWithdrawn(request) = $0 { return true } else { return false } })
        // A late answer is ignored.
        h.hub.answer(request, allow: true)
        h.loop.run()
        #expect(!h.events.all.contains { if case .peerJoined = $0 { return true } else { return false } })
    }

    @Test func newcomerLeavingWhileAskedWithdrawsTheQuestion() throws {
        let h = Host()
        let ch = try asked(h, name: "bob")
        let request = requests(h)[0].request
        _ = try ch.close().wait()
        h.loop.run()
        #expect(h.events.all.contains { if case .approvalWithdrawn(request) = $0 { return true } else { return false } })
    }

    @Test func aNewcomersNameReachesTheScreenWithoutControlCharacters() throws {
        let h = Host()
        _ = try asked(h, name: "bob\u{1B}[2J\u{7}\u{200B}")
        #expect(requests(h).first?.name == "bob?[2J??")
    }

    @Test func nameLongerThanTheLimitIsMalformed() throws {
        let h = Host()
        let (ch, nonce) = try h.connection(approval: true)
        try ch.writeInbound(buffer(Self.proof(h.invitation, hostNonce: nonce, name: String(repeating: "n", count: 65))))
        h.loop.run()
        Self.expectOnlyRefusal(try Self.authFrames(ch), code: 10)
        #expect(requests(h).isEmpty)
    }

    /// Every truncation and every single-byte change of a valid proof (with a
    /// name) is refused with a reason, and nothing of the document is sent.
    @Test func everyDamagedProofIsRefusedWithoutADocumentByte() throws {
        let h = Host()
        var refusals: [UInt8: Int] = [:]
        // The payload of a valid proof for a fixed nonce pattern; rebuilt per connection below.
        for variant in 0 ..< 2 {
            let (probe, probeNonce) = try h.connection()
            let valid = Array(Self.proof(h.invitation, hostNonce: probeNonce, name: "bob").dropFirst(4))
            _ = try probe.close().wait()
            for i in 0 ..< valid.count {
                let (ch, nonce) = try h.connection()
                var payload = Array(Self.proof(h.invitation, hostNonce: nonce, name: "bob").dropFirst(4))
                if variant == 0 {
                    guard i > 0 else { continue }
                    payload = Array(payload.prefix(i))  // truncated, with a length that says so
                } else {
                    payload[i] ^= 0x5A
                }
                try ch.writeInbound(buffer(FrameEncoder.frame(payload) + Self.hello()))
                h.loop.run()
                let out = try Self.authFrames(ch)
                Self.expectOnlyRefusal(out, code: out.first?.dropFirst().first ?? 0, "variant \(variant) byte \(i)")
                #expect(!ch.isActive, "variant \(variant) byte \(i)")
                if let code = out.first?.dropFirst().first { refusals[code, default: 0] += 1 }
            }
            #expect(valid.count == 1 + 4 + 1 + 8 + 32 + 32 + 3)
        }
        // Each kind of damage meets its own check: malformed, unknown invitation, version, wrong secret.
        #expect(Set(refusals.keys).isSuperset(of: [1, 2, 6, 10]), "\(refusals)")
        #expect(!h.events.all.contains { if case .peerJoined = $0 { return true } else { return false } })
    }

    // MARK: Revocation of a live link

    @Test func revokingAnInvitationClosesTheLinksMadeWithIt() throws {
        let h = Host()
        let (ch, nonce) = try h.connection()
        try ch.writeInbound(buffer(Self.proof(h.invitation, hostNonce: nonce) + Self.hello()))
        h.loop.run()
        _ = try Self.authFrames(ch)
        #expect(ch.isActive)
        h.hub.enforceInvitations()
        h.loop.run()
        #expect(ch.isActive, "a valid invitation keeps its link")
        // An invitation that expires admits no one new, but leaves the link in place.
        var expiring = h.invitation
        expiring.expires = 1
        h.book.add(expiring)
        h.hub.enforceInvitations()
        h.loop.run()
        #expect(ch.isActive, "expiry is about admission")
        #expect(try Self.authFrames(ch).isEmpty)
        h.book.revoke(h.invitation)
        h.hub.enforceInvitations()
        h.loop.run()
        let after = try Self.authFrames(ch).map { try Message.decode($0) }
        guard case .refuse(let r)? = after.last else { Issue.record("\(after)"); return }
        #expect(r.code == .unauthorized && r.text == AuthFailure.invitationRevoked.description)
        #expect(!ch.isActive)
        #expect(h.events.all.contains { if case .peerLeft(_, .unauthorized(.invitationRevoked)) = $0 { return true } else { return false } })
    }
}
