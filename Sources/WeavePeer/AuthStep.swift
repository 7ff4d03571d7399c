import Crypto
import NIOCore

/// The authentication step (docs/WIRE.md, "Security") as a state machine with
/// no channel: each input — TLS is up, a message arrived, the host's user
/// answered — moves `state` and returns the `Action` to perform. `AuthHandler`
/// feeds it and performs the actions.
///
/// ```
/// host:   waitingTLS → start → waitingProof → Proof → [waitingApproval → admit] → done
/// joiner: waitingTLS → start → waitingChallenge → Challenge → waitingResult → [Pending] → Accept → done
/// ```
/// Any state but `done` goes to `failed` on a Refuse, a message out of order, a
/// bad proof or `fail`; `failed` and `done` are final, and an input there
/// returns nil (a late answer, say).
struct AuthStep {
    enum Role {
        case host(InvitationBook)
        case joiner(Invitation)
    }
    enum State: Hashable, Sendable { case waitingTLS, waitingChallenge, waitingProof, waitingApproval, waitingResult, done, failed }

    /// What the handler does after an input.
    enum Action: Equatable {
        /// Send the message.
        case send(AuthMessage)
        /// Authenticated: send `reply` first when there is one (the host's
        /// Accept), then let the link's frames through.
        case succeed(PeerAuthenticated, reply: AuthMessage?)
        /// (Host) A valid proof: ask the host's user about the newcomer, then
        /// call `admit()` or `fail(.notApproved)`; the state is `waitingApproval`.
        case ask(Newcomer)
        /// (Joiner) The host's user is asked: wait this long for the answer.
        case awaitApproval(TimeAmount)
        /// Stop: tell the peer why with a Refuse when `tell`, and report the failure.
        case fail(AuthFailure, tell: Bool)
    }

    let role: Role
    /// This side's certificate fingerprint.
    let ownFingerprint: [UInt8]
    /// (Joiner) the name sent in the proof, cut to `AuthMessage.maxName` bytes.
    let name: String
    /// (Host) whether a newcomer with a valid proof waits for the user (`.ask`) or is let in at once.
    let asksUser: Bool
    private(set) var state = State.waitingTLS
    /// The other side's certificate fingerprint and address, known once TLS is up.
    private var peerFingerprint: [UInt8]?
    private var peerAddress = "?"
    private var hostNonce: [UInt8] = []
    /// (Host) what the newcomer waiting for the user's answer is let in with.
    private var waiting: PeerAuthenticated?

    /// `name` cut to at most `limit` bytes of UTF-8 at a character boundary
    /// (a cut inside a character decoded as U+FFFD, three bytes, and made a
    /// 64-byte name longer than 64: the host refused the proof). O(name).
    static func cut(_ name: String, toBytes limit: Int) -> String {
        let bytes = Array(name.utf8)
        guard bytes.count > limit else { return name }
        var end = limit
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    init(role: Role, ownFingerprint: [UInt8], name: String = "", asksUser: Bool = false) {
        self.role = role
        self.ownFingerprint = ownFingerprint
        self.name = AuthStep.cut(name, toBytes: AuthMessage.maxName)
        self.asksUser = asksUser
    }

    // MARK: Inputs

    /// TLS is up, showing the peer's certificate fingerprint (nil: none) and
    /// its address. The host sends its Challenge with a fresh nonce; the
    /// joiner waits for it (nil).
    mutating func start(peerFingerprint: [UInt8]?, peerAddress: String) -> Action? {
        guard state == .waitingTLS else { return nil }
        self.peerFingerprint = peerFingerprint
        self.peerAddress = peerAddress
        switch role {
        case .host:
            hostNonce = AuthStep.random(AuthMessage.nonceBytes)
            state = .waitingProof
            return .send(.challenge(nonce: hostNonce))
        case .joiner:
            state = .waitingChallenge
            return nil
        }
    }

    /// A message from the peer. A Refuse ends the step in any state; any
    /// other message must be the one the state waits for. The host checks the
    /// invitation (unknown, expired, revoked) and then the MAC, in constant time.
    mutating func received(_ m: AuthMessage) -> Action? {
        guard state != .done, state != .failed else { return nil }
        if case .refuse(let code, let reason) = m { return fail(.fromWire(code: code, text: reason), tell: false) }
        switch (state, role, m) {
        case (.waitingChallenge, .joiner(let invitation), .challenge(let nonce)):
            guard let hostFP = peerFingerprint else { return fail(.tls("no host certificate")) }
            let joinerNonce = AuthStep.random(AuthMessage.nonceBytes)
            let mac = AuthStep.mac(secret: invitation.secret, hostFingerprint: hostFP, joinerFingerprint: ownFingerprint,
                                   hostNonce: nonce, joinerNonce: joinerNonce, id: invitation.id, name: Array(name.utf8))
            state = .waitingResult
            return .send(.proof(.init(invitationID: invitation.id, nonce: joinerNonce, mac: mac, name: name)))
        case (.waitingChallenge, _, _):
            return fail(.malformed("expected the host's challenge"))

        case (.waitingProof, .host(let book), .proof(let proof)):
            let invitation: Invitation
            switch book.admit(id: proof.invitationID) {
            case .failure(let f): return fail(f)
            case .success(let i): invitation = i
            }
            guard let joinerFP = peerFingerprint else { return fail(.tls("the joiner showed no certificate")) }
            let data = AuthStep.transcript(hostFingerprint: ownFingerprint, joinerFingerprint: joinerFP, hostNonce: hostNonce,
                                           joinerNonce: proof.nonce, id: proof.invitationID, name: Array(proof.name.utf8))
            guard HMAC<SHA256>.isValidAuthenticationCode(proof.mac, authenticating: data, using: SymmetricKey(data: invitation.secret)) else {
                return fail(.wrongSecret)
            }
            let authenticated = PeerAuthenticated(readOnly: invitation.readOnly, peerFingerprint: joinerFP, invitationID: proof.invitationID)
            guard asksUser else {
                state = .done
                return .succeed(authenticated, reply: .accept(readOnly: invitation.readOnly))
            }
            state = .waitingApproval
            waiting = authenticated
            // Shown on the host's screen: no control characters (escape sequences) from a stranger.
            return .ask(Newcomer(request: 0, name: Newcomer.printable(proof.name), address: peerAddress,
                                 fingerprint: PeerIdentity.hex(joinerFP), invitation: PeerIdentity.hex(proof.invitationID),
                                 readOnly: invitation.readOnly))
        case (.waitingProof, _, _):
            return fail(.malformed("expected the joiner's proof"))

        case (.waitingResult, .joiner, .pending(let seconds)):
            return .awaitApproval(.seconds(Int64(min(seconds, 3600)) + 10))
        case (.waitingResult, .joiner, .accept(let readOnly)):
            state = .done
            return .succeed(PeerAuthenticated(readOnly: readOnly, peerFingerprint: peerFingerprint ?? [], invitationID: nil), reply: nil)
        case (.waitingResult, _, _):
            return fail(.malformed("expected the host's answer"))

        default:
            return fail(.malformed("unexpected authentication message \(m.kind.rawValue)"))
        }
    }

    /// A frame that does not decode as an authentication message: refused
    /// with `error.failure` (another version is named as such).
    mutating func received(undecodable error: AuthMessageError) -> Action? {
        fail(error.failure)
    }

    /// (Host) The user let the waiting newcomer in: Accept. Nil unless `waitingApproval`.
    mutating func admit() -> Action? {
        guard state == .waitingApproval, let authenticated = waiting else { return nil }
        state = .done
        waiting = nil
        return .succeed(authenticated, reply: .accept(readOnly: authenticated.readOnly))
    }

    /// Ends the step with `failure` (telling the peer when `tell`). Nil when
    /// it has already ended, so a failure is reported once.
    mutating func fail(_ failure: AuthFailure, tell: Bool = true) -> Action? {
        guard state != .done, state != .failed else { return nil }
        state = .failed
        waiting = nil
        return .fail(failure, tell: tell)
    }

    // MARK: Crypto

    /// What the MAC covers: `weave-auth-v2` ‖ host fingerprint ‖ joiner
    /// fingerprint ‖ host nonce ‖ joiner nonce ‖ invitation ID ‖ name.
    static func transcript(hostFingerprint: [UInt8], joinerFingerprint: [UInt8], hostNonce: [UInt8], joinerNonce: [UInt8],
                           id: [UInt8], name: [UInt8]) -> [UInt8] {
        Array("weave-auth-v2".utf8) + hostFingerprint + joinerFingerprint + hostNonce + joinerNonce + id + name
    }

    /// HMAC-SHA256 of the transcript with the invitation's secret.
    static func mac(secret: [UInt8], hostFingerprint: [UInt8], joinerFingerprint: [UInt8], hostNonce: [UInt8], joinerNonce: [UInt8],
                    id: [UInt8], name: [UInt8] = []) -> [UInt8] {
        let data = transcript(hostFingerprint: hostFingerprint, joinerFingerprint: joinerFingerprint,
                              hostNonce: hostNonce, joinerNonce: joinerNonce, id: id, name: name)
        return Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: secret)))
    }

    /// `n` bytes from the system's secure generator.
    static func random(_ n: Int) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}
