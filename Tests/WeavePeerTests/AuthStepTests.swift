import Testing
import WeaveCore
@testable import WeavePeer

/// The authentication messages' codec and the authentication step's state
/// machine, without channels: two `AuthStep`s talk through encoded bytes.
@Suite struct AuthStepTests {
    static let hostFP = Array(repeating: UInt8(0xAA), count: 32)
    static let joinerFP = Array(repeating: UInt8(0xBB), count: 32)

    static func book(_ invitations: Invitation...) -> InvitationBook {
        let b = InvitationBook()
        for i in invitations { b.add(i) }
        return b
    }

    static let invitation = Invitation(hostFingerprint: hostFP, id: Array(repeating: 7, count: 8),
                                       secret: Array(repeating: 42, count: 20), readOnly: true)

    /// The message as the other side reads it (through its bytes).
    static func wire(_ m: AuthMessage) throws -> AuthMessage { try AuthMessage.decode(m.encode()) }

    static func sent(_ a: AuthStep.Action?) -> AuthMessage? {
        if case .send(let m)? = a { return m } else { return nil }
    }

    // MARK: Codec

    @Test func everyMessageRoundTripsWithTheBytesOfWIRE() throws {
        let proof = AuthMessage.Proof(invitationID: Array(1...8), nonce: Array(repeating: 3, count: 32),
                                      mac: Array(repeating: 4, count: 32), name: "bö")
        let cases: [(AuthMessage, [UInt8])] = [
            (.challenge(nonce: Array(repeating: 9, count: 32)), [0x41] + Array("WVAU".utf8) + [2] + Array(repeating: 9, count: 32)),
            (.proof(proof), [0x42] + Array("WVAU".utf8) + [2] + Array(1...8) + Array(repeating: 3, count: 32)
                + Array(repeating: 4, count: 32) + [0x62, 0xC3, 0xB6]),
            (.pending(seconds: 300), [0x45, 0xAC, 0x02]),
            (.accept(readOnly: true), [0x43, 1]),
            (.accept(readOnly: false), [0x43, 0]),
            (.refuse(code: 11, reason: "no"), [0x44, 11, 0x6E, 0x6F]),
        ]
        for (m, bytes) in cases {
            #expect(m.encode() == bytes, "\(m)")
            #expect(try AuthMessage.decode(bytes) == m, "\(m)")
        }
    }

    @Test func decodingErrorsNameTheMessageAndWhatIsWrong() {
        func reading(_ bytes: [UInt8]) -> String {
            do { return "decoded \(try AuthMessage.decode(bytes))" } catch { return "\(error)" }
        }
        let header = Array("WVAU".utf8) + [2]
        #expect(reading([]) == "empty authentication message")
        #expect(reading([1, 2, 3]) == "unexpected authentication message 1")
        #expect(reading([0x41] + Array("WVPR".utf8) + [2]) == "Challenge without the WVAU magic")
        #expect(reading([0x42] + Array("WVAU".utf8) + [1]) == "Proof of authentication version 1 (this Weave speaks version 2)")
        #expect(reading([0x41] + header + [0, 0]) == "bad Challenge: data ends at byte 8 while reading host nonce")
        #expect(reading([0x41] + header + Array(repeating: 0, count: 33)) == "bad Challenge: unexpected bytes after the end of the data, at byte 38")
        #expect(reading([0x42] + header + Array(repeating: 0, count: 72) + Array(repeating: 0x6E, count: 65))
                == "bad Proof: a name of 65 bytes (the limit is 64)")
        #expect(reading([0x42] + header + Array(repeating: 0, count: 72) + [0x62, 0xFF]) == "bad Proof: invalid UTF-8 at byte 79")
        #expect(reading([0x43]) == "bad Accept: data ends at byte 1 while reading flags")
        #expect(reading([0x43, 1, 1]) == "bad Accept: unexpected bytes after the end of the data, at byte 2")
        #expect(reading([0x45, 0x80]) == "bad Pending: data ends at byte 2 while reading seconds")
        // A refusal is always read, so its reason reaches the user.
        #expect(reading([0x44]) == "decoded refuse(code: 0, reason: \"\")")
        #expect(AuthMessageError.unsupportedVersion(message: "Proof", theirs: 1).failure == .protocolVersion(theirs: 1, ours: 2))
        #expect(AuthMessageError.empty.failure == .malformed("empty authentication message"))
    }

    // MARK: State machine

    @Test func aJoinerWithTheRightSecretIsLetIn() throws {
        var host = AuthStep(role: .host(Self.book(Self.invitation)), ownFingerprint: Self.hostFP)
        var joiner = AuthStep(role: .joiner(Self.invitation), ownFingerprint: Self.joinerFP, name: "bob")
        #expect(joiner.start(peerFingerprint: Self.hostFP, peerAddress: "host") == nil)
        #expect(joiner.state == .waitingChallenge)
        let challenge = try #require(Self.sent(host.start(peerFingerprint: Self.joinerFP, peerAddress: "10.0.0.2:5")))
        #expect(host.state == .waitingProof)
        let proof = try #require(Self.sent(joiner.received(try Self.wire(challenge))))
        guard case .proof(let p) = proof else { Issue.record("\(proof)"); return }
        #expect(p.name == "bob" && p.invitationID == Self.invitation.id)
        #expect(joiner.state == .waitingResult)
        guard case .succeed(let hostSide, let reply?)? = host.received(try Self.wire(proof)) else { Issue.record("not let in"); return }
        #expect(host.state == .done)
        #expect(hostSide.readOnly && hostSide.peerFingerprint == Self.joinerFP && hostSide.invitationID == Self.invitation.id)
        #expect(reply == .accept(readOnly: true))
        guard case .succeed(let joinerSide, nil)? = joiner.received(try Self.wire(reply)) else { Issue.record("no success"); return }
        #expect(joinerSide.readOnly && joinerSide.peerFingerprint == Self.hostFP)
        #expect(joiner.state == .done)
        // Done is final.
        #expect(host.received(.refuse(code: 1, reason: "late")) == nil)
        #expect(host.fail(.wrongSecret) == nil)
    }

    /// Issue 31: a long name was cut to 64 bytes inside a character; the
    /// replacement character made it longer than 64 and the host refused the join.
    @Test func aLongNameIsCutAtACharacterAndTheJoinerIsLetIn() throws {
        for tail in ["é", "日", "🙂", "e\u{301}"] {
            let long = String(repeating: "a", count: AuthMessage.maxName - 1) + tail + "more"
            var host = AuthStep(role: .host(Self.book(Self.invitation)), ownFingerprint: Self.hostFP)
            var joiner = AuthStep(role: .joiner(Self.invitation), ownFingerprint: Self.joinerFP, name: long)
            _ = joiner.start(peerFingerprint: Self.hostFP, peerAddress: "host")
            let challenge = try #require(Self.sent(host.start(peerFingerprint: Self.joinerFP, peerAddress: "10.0.0.2:5")))
            let proof = try #require(Self.sent(joiner.received(try Self.wire(challenge))))
            guard case .proof(let p) = proof else { Issue.record("\(proof)"); return }
            #expect(p.name.utf8.count <= AuthMessage.maxName && Array(long.utf8).starts(with: Array(p.name.utf8)) && !p.name.contains("\u{FFFD}"), "\(tail)")
            guard case .succeed? = host.received(try Self.wire(proof)) else { Issue.record("\(tail): not let in"); continue }
        }
    }

    @Test func aProofForAnotherSessionIsAWrongSecret() throws {
        var host = AuthStep(role: .host(Self.book(Self.invitation)), ownFingerprint: Self.hostFP)
        var joiner = AuthStep(role: .joiner(Self.invitation), ownFingerprint: Self.joinerFP)
        _ = joiner.start(peerFingerprint: Self.hostFP, peerAddress: "host")
        let challenge = try #require(Self.sent(host.start(peerFingerprint: Array(repeating: 0xCC, count: 32), peerAddress: "x")))
        // The joiner's certificate is not the one the host's TLS saw: the MAC does not match.
        let proof = try #require(Self.sent(joiner.received(challenge)))
        guard case .fail(.wrongSecret, tell: true)? = host.received(proof) else { Issue.record("accepted"); return }
        #expect(host.state == .failed)
    }

    @Test func theHostsUserIsAskedAndALateAnswerChangesNothing() throws {
        var host = AuthStep(role: .host(Self.book(Self.invitation)), ownFingerprint: Self.hostFP, asksUser: true)
        var joiner = AuthStep(role: .joiner(Self.invitation), ownFingerprint: Self.joinerFP, name: "bob\u{1B}")
        _ = joiner.start(peerFingerprint: Self.hostFP, peerAddress: "host")
        let challenge = try #require(Self.sent(host.start(peerFingerprint: Self.joinerFP, peerAddress: "10.0.0.2:5")))
        let proof = try #require(Self.sent(joiner.received(challenge)))
        guard case .ask(let newcomer)? = host.received(proof) else { Issue.record("not asked"); return }
        #expect(newcomer.name == "bob?" && newcomer.address == "10.0.0.2:5" && newcomer.readOnly)
        #expect(newcomer.fingerprint == PeerIdentity.hex(Self.joinerFP))
        #expect(host.state == .waitingApproval)
        guard case .succeed(_, .accept(readOnly: true)?)? = host.admit() else { Issue.record("not admitted"); return }
        #expect(host.admit() == nil, "admitted once")
        // The joiner told to wait moves its deadline, bounded by an hour.
        guard case .awaitApproval(let wait)? = joiner.received(.pending(seconds: 1 << 40)) else { Issue.record("no wait"); return }
        #expect(wait == .seconds(3610))
        #expect(joiner.state == .waitingResult)
    }

    @Test func outOfOrderMessagesAndRefusalsEndTheStep() throws {
        var joiner = AuthStep(role: .joiner(Self.invitation), ownFingerprint: Self.joinerFP)
        _ = joiner.start(peerFingerprint: Self.hostFP, peerAddress: "host")
        guard case .fail(.malformed(let why), tell: true)? = joiner.received(.accept(readOnly: false)) else { Issue.record("accepted"); return }
        #expect(why == "expected the host's challenge")
        #expect(joiner.received(.challenge(nonce: Array(repeating: 0, count: 32))) == nil, "failed is final")

        var host = AuthStep(role: .host(Self.book(Self.invitation)), ownFingerprint: Self.hostFP)
        _ = host.start(peerFingerprint: Self.joinerFP, peerAddress: "x")
        guard case .fail(.notApproved, tell: false)? = host.received(.refuse(code: 11, reason: "the host did not let you in")) else {
            Issue.record("refusal not taken"); return
        }
        var unknown = AuthStep(role: .host(Self.book()), ownFingerprint: Self.hostFP)
        let challenge = try #require(Self.sent(unknown.start(peerFingerprint: Self.joinerFP, peerAddress: "x")))
        var j2 = AuthStep(role: .joiner(Self.invitation), ownFingerprint: Self.joinerFP)
        _ = j2.start(peerFingerprint: Self.hostFP, peerAddress: "h")
        let proof = try #require(Self.sent(j2.received(challenge)))
        guard case .fail(.unknownInvitation, tell: true)? = unknown.received(proof) else { Issue.record("unknown invitation let in"); return }
    }
}
