import Crypto
import NIOCore
import NIOSSL
import NIOTLS

/// Fired inbound by `AuthHandler` once the peer is authenticated.
struct PeerAuthenticated {
    var readOnly: Bool
    var peerFingerprint: [UInt8]
    /// (Host side) the invitation the joiner used: its link closes when it is revoked.
    var invitationID: [UInt8]?
}

/// Fired inbound by `AuthHandler` (both sides) while the host's user is asked
/// to let the newcomer in: the connection's handshake deadline moves to `timeout` from now.
struct AuthAwaitingApproval {
    var timeout: TimeAmount
}

/// The authentication step, inside TLS and before any Weave frame (docs/WIRE.md, "Security").
///
/// ```
/// host → joiner  Challenge: 0x41 "WVAU" varint(version 2) host nonce (32)
/// joiner → host  Proof:     0x42 "WVAU" varint(2) invitation ID (8) joiner nonce (32)
///                           HMAC-SHA256(secret, "weave-auth-v2" ‖ host fp ‖ joiner fp ‖ host nonce ‖ joiner nonce ‖ ID ‖ name)
///                           name (UTF-8, 0–64 bytes)
/// host → joiner  [Pending:  0x45 varint(seconds the host's user has to answer)]   (approval required)
/// host → joiner  Accept:    0x43 flags (bit 0: read-only)   or   Refuse: 0x44 code, reason (UTF-8)
/// ```
/// each in a frame (4-byte big-endian length, at most 4096). The fingerprints
/// are the SHA-256 of the two TLS certificates, so a proof is valid only on the
/// TLS session it was made for, and the host's fresh nonce makes a replayed
/// proof fail. Until it succeeds nothing passes in either direction: the
/// handler swallows reads and fails writes, so no document byte can leave.
final class AuthHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Role {
        case host(InvitationBook)
        case joiner(Invitation, PinnedFingerprint?)
    }
    enum State { case waitingTLS, waitingChallenge, waitingProof, waitingApproval, waitingResult, done, failed }

    static let version: UInt64 = 2
    static let maxName = 64
    static let magic: [UInt8] = Array("WVAU".utf8)
    static let maxMessage = 4096
    static let nonceBytes = 32

    let role: Role
    let ownFingerprint: [UInt8]
    /// The peer's certificate fingerprint once TLS is up (from the NIOSSLHandler; injected in tests).
    let peerFingerprint: (ChannelHandlerContext) -> [UInt8]?
    private(set) var state = State.waitingTLS
    private var buffer: ByteBuffer?
    private var hostNonce: [UInt8] = []
    /// Set when this handler reported a failure (so it reports only one).
    private var reported = false
    /// Joiner: the name sent in the proof (shown to a host that asks its user).
    let name: String
    /// Host: who lets authenticated newcomers in (nil: everyone with a valid invitation).
    let admission: AdmissionControl?
    let approvalTimeout: TimeAmount
    private var approvalRequest: Int?
    private var approvalTimer: Scheduled<Void>?

    init(role: Role, ownFingerprint: [UInt8], name: String = "", admission: AdmissionControl? = nil,
         approvalTimeout: TimeAmount = .seconds(120),
         peerFingerprint: @escaping (ChannelHandlerContext) -> [UInt8]? = AuthHandler.tlsPeerFingerprint) {
        self.role = role
        self.ownFingerprint = ownFingerprint
        self.name = String(decoding: Array(name.utf8).prefix(AuthHandler.maxName), as: UTF8.self)
        self.admission = admission
        self.approvalTimeout = approvalTimeout
        self.peerFingerprint = peerFingerprint
    }

    static func tlsPeerFingerprint(_ context: ChannelHandlerContext) -> [UInt8]? {
        guard let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLHandler.self),
              let cert = tls.peerCertificate else { return nil }
        return PeerIdentity.fingerprint(of: cert)
    }

    var isHost: Bool { if case .host = role { return true } else { return false } }

    /// Starts the exchange: on TLS's handshakeCompleted (or at once, for tests without TLS).
    func start(context: ChannelHandlerContext) {
        guard state == .waitingTLS else { return }
        switch role {
        case .host:
            hostNonce = AuthHandler.random(AuthHandler.nonceBytes)
            state = .waitingProof
            var m: [UInt8] = [0x41] + AuthHandler.magic
            writeVarint(AuthHandler.version, to: &m)
            sendAuth(context, m + hostNonce)
        case .joiner:
            state = .waitingChallenge
        }
    }

    // MARK: Inbound

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { start(context: context) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if state == .done { context.fireChannelRead(data); return }
        guard state != .failed else { return }
        guard state != .waitingTLS else { return fail(context, .malformed("data before the TLS handshake completed")) }
        if buffer == nil { buffer = bytes } else { buffer!.writeBuffer(&bytes) }
        if state == .waitingApproval {
            // An eager joiner's first frames wait with it (bounded).
            if (buffer?.readableBytes ?? 0) > AuthHandler.maxMessage {
                return fail(context, .malformed("more than \(AuthHandler.maxMessage) bytes sent while waiting to be let in"))
            }
            return
        }
        while state != .done, state != .failed, state != .waitingApproval, var b = buffer,
              let length = b.getInteger(at: b.readerIndex, as: UInt32.self) {
            guard length > 0, Int(length) <= AuthHandler.maxMessage else {
                return fail(context, .malformed("authentication message of \(length) bytes (limit \(AuthHandler.maxMessage))"))
            }
            guard b.readableBytes >= 4 + Int(length) else { return }
            b.moveReaderIndex(forwardBy: 4)
            let payload = b.readBytes(length: Int(length))!
            buffer = b
            handle(context, payload)
        }
        forwardRest(context)
    }

    /// Once authenticated: what arrived behind the last authentication message goes on.
    private func forwardRest(_ context: ChannelHandlerContext) {
        if state == .done, let rest = buffer, rest.readableBytes > 0 {
            buffer = nil
            context.fireChannelRead(wrapInboundOut(rest))
        }
    }

    private func handle(_ context: ChannelHandlerContext, _ p: [UInt8]) {
        if p[0] == 0x44 {  // Refuse, from either side
            let code = p.count > 1 ? p[1] : 0
            let text = p.count > 2 ? String(decoding: p[2...], as: UTF8.self) : ""
            return fail(context, .fromWire(code: code, text: text), send: false)
        }
        switch (state, role) {
        case (.waitingChallenge, .joiner(let invitation, _)):
            guard p[0] == 0x41 else { return fail(context, .malformed("expected the host's challenge")) }
            var i = 1
            guard let v = readHeader(p, &i) else { return fail(context, .malformed("bad challenge")) }
            guard v == AuthHandler.version else { return fail(context, .protocolVersion(theirs: v, ours: AuthHandler.version)) }
            guard p.count - i == AuthHandler.nonceBytes else { return fail(context, .malformed("bad challenge nonce")) }
            let nonce = Array(p[i...])
            guard let hostFP = peerFingerprint(context) else { return fail(context, .tls("no host certificate")) }
            let joinerNonce = AuthHandler.random(AuthHandler.nonceBytes)
            let nameBytes = Array(name.utf8)
            let mac = AuthHandler.mac(secret: invitation.secret, hostFingerprint: hostFP, joinerFingerprint: ownFingerprint,
                                      hostNonce: nonce, joinerNonce: joinerNonce, id: invitation.id, name: nameBytes)
            var m: [UInt8] = [0x42] + AuthHandler.magic
            writeVarint(AuthHandler.version, to: &m)
            state = .waitingResult
            sendAuth(context, m + invitation.id + joinerNonce + mac + nameBytes)
        case (.waitingProof, .host(let book)):
            guard p[0] == 0x42 else { return fail(context, .malformed("expected the joiner's proof")) }
            var i = 1
            guard let v = readHeader(p, &i) else { return fail(context, .malformed("bad proof")) }
            guard v == AuthHandler.version else { return fail(context, .protocolVersion(theirs: v, ours: AuthHandler.version)) }
            let fixed = Invitation.idBytes + AuthHandler.nonceBytes + 32
            guard p.count - i >= fixed, p.count - i <= fixed + AuthHandler.maxName else { return fail(context, .malformed("bad proof length")) }
            let id = Array(p[i..<(i + Invitation.idBytes)])
            i += Invitation.idBytes
            let joinerNonce = Array(p[i..<(i + AuthHandler.nonceBytes)])
            i += AuthHandler.nonceBytes
            let mac = Array(p[i..<(i + 32)])
            let nameBytes = Array(p[(i + 32)...])
            guard let joinerName = String(validating: nameBytes, as: UTF8.self) else { return fail(context, .malformed("the name is not UTF-8")) }
            let invitation: Invitation
            switch book.lookup(id: id) {
            case .failure(let f): return fail(context, f)
            case .success(let inv): invitation = inv
            }
            guard let joinerFP = peerFingerprint(context) else { return fail(context, .tls("the joiner showed no certificate")) }
            let key = SymmetricKey(data: invitation.secret)
            let data = AuthHandler.transcript(hostFingerprint: ownFingerprint, joinerFingerprint: joinerFP,
                                              hostNonce: hostNonce, joinerNonce: joinerNonce, id: id, name: nameBytes)
            guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: data, using: key) else {
                return fail(context, .wrongSecret)
            }
            // Shown on the host's screen: no control characters (escape sequences) from a stranger.
            let newcomer = Newcomer(request: 0, name: Newcomer.printable(joinerName),
                                    address: context.channel.remoteAddress.map(PeerHub.describe) ?? "?",
                                    fingerprint: PeerIdentity.hex(joinerFP), invitation: PeerIdentity.hex(id),
                                    readOnly: invitation.readOnly)
            let admit = { [self] in
                sendAuth(context, [0x43, invitation.readOnly ? 1 : 0])
                succeed(context, readOnly: invitation.readOnly, peer: joinerFP, invitationID: id)
            }
            guard let admission else { return admit() }
            state = .waitingApproval
            let request = admission.requestAdmission(newcomer) { [self] allowed in
                guard state == .waitingApproval else { return }
                approvalRequest = nil
                approvalTimer?.cancel()
                if allowed { admit(); forwardRest(context) } else { fail(context, .notApproved) }
            }
            guard let request else { return admit() }
            approvalRequest = request
            let seconds = Int(approvalTimeout.nanoseconds / 1_000_000_000)
            var pending: [UInt8] = [0x45]
            writeVarint(UInt64(seconds), to: &pending)
            sendAuth(context, pending)
            context.fireUserInboundEventTriggered(AuthAwaitingApproval(timeout: approvalTimeout + .seconds(5)))
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            approvalTimer = context.eventLoop.scheduleTask(in: approvalTimeout) { [self] in
                guard state == .waitingApproval else { return }
                withdraw()
                fail(bound.value, .approvalTimedOut(seconds: seconds))
            }
        case (.waitingResult, .joiner):
            if p[0] == 0x45 {  // Pending: the host's user is asked
                var i = 1
                let seconds = AuthHandler.readVarint(p, &i) ?? 0
                let wait = TimeAmount.seconds(Int64(min(seconds, 3600)) + 10)
                context.fireUserInboundEventTriggered(AuthAwaitingApproval(timeout: wait))
                return
            }
            guard p[0] == 0x43, p.count == 2 else { return fail(context, .malformed("expected the host's answer")) }
            succeed(context, readOnly: p[1] & 1 != 0, peer: peerFingerprint(context) ?? [], invitationID: nil)
        default:
            fail(context, .malformed("unexpected authentication message \(p[0])"))
        }
    }

    /// The magic and version after the type byte; `i` ends after them.
    private func readHeader(_ p: [UInt8], _ i: inout Int) -> UInt64? {
        guard p.count >= 6, Array(p[1..<5]) == AuthHandler.magic else { return nil }
        i = 5
        return AuthHandler.readVarint(p, &i)
    }

    /// A LEB128 varint at `i` (advanced past it); nil when it does not end.
    static func readVarint(_ p: [UInt8], _ i: inout Int) -> UInt64? {
        var v: UInt64 = 0, shift: UInt64 = 0
        while i < p.count, shift < 64 {
            let b = p[i]; i += 1
            v |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
        return nil
    }

    private func succeed(_ context: ChannelHandlerContext, readOnly: Bool, peer: [UInt8], invitationID: [UInt8]?) {
        state = .done
        context.fireUserInboundEventTriggered(PeerAuthenticated(readOnly: readOnly, peerFingerprint: peer, invitationID: invitationID))
    }

    /// Takes back a question put to the host's user.
    private func withdraw() {
        approvalTimer?.cancel()
        approvalTimer = nil
        if let r = approvalRequest { approvalRequest = nil; admission?.withdrawAdmission(r) }
    }

    /// Refuses (host: tells the joiner why first), then reports `f` to the connection, which closes.
    private func fail(_ context: ChannelHandlerContext, _ f: AuthFailure, send: Bool = true) {
        guard state != .failed else { return }
        withdraw()
        state = .failed
        buffer = nil
        if send {
            sendAuth(context, [0x44, f.code] + Array(f.description.utf8))
        }
        report(context, f)
    }

    private func report(_ context: ChannelHandlerContext, _ f: AuthFailure) {
        guard !reported else { return }
        reported = true
        context.fireErrorCaught(PeerError.unauthorized(f))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard state != .done else { return context.fireErrorCaught(error) }
        if error is PeerError { return context.fireErrorCaught(error) }
        withdraw()
        state = .failed
        if case .joiner(let inv, let pin?) = role, let seen = pin.seen.withLockedValue({ $0 }), seen != pin.expected {
            return report(context, .fingerprintMismatch(expected: PeerIdentity.hex(inv.hostFingerprint), got: PeerIdentity.hex(seen)))
        }
        report(context, .tls(AuthHandler.describeTLS(error, host: isHost)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        withdraw()
        if state != .done, state != .failed {
            state = .failed
            report(context, .tls(isHost ? "the joiner closed the connection before authenticating"
                                        : "the host closed the connection before authentication (a plaintext host, or an older Weave?)"))
        }
        context.fireChannelInactive()
    }

    static func describeTLS(_ error: Error, host: Bool) -> String {
        let s = "\(error)"
        if s.contains("CERTIFICATE") || s.contains("certificate") {
            return host ? "the joiner rejected this host's certificate (its invitation names another host): \(s)" : s
        }
        if let e = error as? NIOSSLError, e == .uncleanShutdown {
            return host ? "the joiner left during the TLS handshake" : "the host closed the connection during the TLS handshake (a plaintext host, or an older Weave?)"
        }
        return s
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard state == .done else {
            // Nothing of the document (nor the Weave handshake) leaves before authentication.
            promise?.fail(PeerError.closedLocally(reason: "not authenticated"))
            return
        }
        context.write(data, promise: promise)
    }

    private func sendAuth(_ context: ChannelHandlerContext, _ payload: [UInt8]) {
        var b = context.channel.allocator.buffer(capacity: payload.count + 4)
        FrameEncoder.write(payload, to: &b)
        context.writeAndFlush(wrapOutboundOut(b), promise: nil)
    }

    // MARK: Crypto

    static func transcript(hostFingerprint: [UInt8], joinerFingerprint: [UInt8], hostNonce: [UInt8], joinerNonce: [UInt8],
                           id: [UInt8], name: [UInt8]) -> [UInt8] {
        Array("weave-auth-v2".utf8) + hostFingerprint + joinerFingerprint + hostNonce + joinerNonce + id + name
    }

    static func mac(secret: [UInt8], hostFingerprint: [UInt8], joinerFingerprint: [UInt8], hostNonce: [UInt8], joinerNonce: [UInt8],
                    id: [UInt8], name: [UInt8] = []) -> [UInt8] {
        let data = transcript(hostFingerprint: hostFingerprint, joinerFingerprint: joinerFingerprint,
                              hostNonce: hostNonce, joinerNonce: joinerNonce, id: id, name: name)
        return Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: secret)))
    }

    static func random(_ n: Int) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}

private func writeVarint(_ v: UInt64, to out: inout [UInt8]) {
    var v = v
    while v >= 0x80 { out.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
    out.append(UInt8(v))
}
