#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOSSL
import NIOTLS
import WeaveCore

/// Fired inbound by `AuthHandler` once the peer is authenticated.
struct PeerAuthenticated: Hashable {
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

/// The authentication step on a channel, inside TLS and before any Weave frame
/// (docs/WIRE.md, "Security"): cuts the frames, decodes each as an
/// `AuthMessage`, feeds it to an `AuthStep` and performs its actions (writes,
/// events, asking the host's user, the approval timer).
///
/// Until the step succeeds nothing passes in either direction: reads are
/// swallowed (an eager joiner's frames wait, at most `maxMessage` bytes, and go
/// on after Accept) and writes fail, so no document byte can leave. A frame
/// length above `maxMessage` is refused as soon as its four bytes are in.
final class AuthHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Role {
        case host(InvitationBook)
        case joiner(Invitation, PinnedFingerprint?)
    }

    /// The largest authentication frame, in bytes (and the most an eager
    /// joiner may send while waiting to be let in).
    static let maxMessage = 4096

    let role: Role
    /// The peer's certificate fingerprint once TLS is up (from the NIOSSLHandler; injected in tests).
    let peerFingerprint: (ChannelHandlerContext) -> [UInt8]?
    private var step: AuthStep
    private var buffer: ByteBuffer?
    /// Set when this handler reported a failure (so it reports only one).
    private var reported = false
    /// Host: who lets authenticated newcomers in (nil: everyone with a valid invitation).
    let admission: AdmissionControl?
    let approvalTimeout: TimeAmount
    private var approvalRequest: Int?
    private var approvalTimer: Scheduled<Void>?

    init(role: Role, ownFingerprint: [UInt8], name: String = "", admission: AdmissionControl? = nil,
         approvalTimeout: TimeAmount = .seconds(120),
         peerFingerprint: @escaping (ChannelHandlerContext) -> [UInt8]? = AuthHandler.tlsPeerFingerprint) {
        self.role = role
        let stepRole: AuthStep.Role
        switch role {
        case .host(let book): stepRole = .host(book)
        case .joiner(let invitation, _): stepRole = .joiner(invitation)
        }
        step = AuthStep(role: stepRole, ownFingerprint: ownFingerprint, name: name, asksUser: admission != nil)
        self.admission = admission
        self.approvalTimeout = approvalTimeout
        self.peerFingerprint = peerFingerprint
    }

    var state: AuthStep.State { step.state }

    static func tlsPeerFingerprint(_ context: ChannelHandlerContext) -> [UInt8]? {
        guard let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLHandler.self),
              let cert = tls.peerCertificate else { return nil }
        return PeerIdentity.fingerprint(of: cert)
    }

    var isHost: Bool { if case .host = role { return true } else { return false } }

    /// Starts the exchange, on TLS's handshakeCompleted.
    func start(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress.map(PeerHub.describe) ?? "?"
        perform(context, step.start(peerFingerprint: peerFingerprint(context), peerAddress: address))
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
            do throws(AuthMessageError) {
                let message = try AuthMessage.decode(payload)
                perform(context, step.received(message))
            } catch {
                perform(context, step.received(undecodable: error))
            }
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

    // MARK: Actions

    private func perform(_ context: ChannelHandlerContext, _ action: AuthStep.Action?) {
        switch action {
        case nil: return
        case .send(let m)?:
            sendAuth(context, m)
        case .succeed(let authenticated, let reply)?:
            if let reply { sendAuth(context, reply) }
            context.fireUserInboundEventTriggered(authenticated)
        case .ask(let newcomer)?:
            ask(context, newcomer)
        case .awaitApproval(let wait)?:
            context.fireUserInboundEventTriggered(AuthAwaitingApproval(timeout: wait))
        case .fail(let failure, let tell)?:
            withdraw()
            buffer = nil
            if tell { sendAuth(context, .refuse(code: failure.code, reason: failure.description)) }
            report(context, failure)
        }
    }

    /// (Host) Asks the user about a newcomer with a valid proof: tells the
    /// joiner how long the user has (Pending), moves both deadlines, and
    /// refuses the newcomer when the time is up. Admits at once a key already let in.
    private func ask(_ context: ChannelHandlerContext, _ newcomer: Newcomer) {
        let request = admission?.requestAdmission(newcomer) { [self] allowed in
            guard state == .waitingApproval else { return }
            approvalRequest = nil
            approvalTimer?.cancel()
            perform(context, allowed ? step.admit() : step.fail(.notApproved))
            forwardRest(context)
        }
        guard let request else { return perform(context, step.admit()) }
        approvalRequest = request
        let seconds = Int(approvalTimeout.nanoseconds / 1_000_000_000)
        sendAuth(context, .pending(seconds: UInt64(seconds)))
        context.fireUserInboundEventTriggered(AuthAwaitingApproval(timeout: approvalTimeout + .seconds(5)))
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        approvalTimer = context.eventLoop.scheduleTask(in: approvalTimeout) { [self] in
            guard state == .waitingApproval else { return }
            withdraw()
            fail(bound.value, .approvalTimedOut(seconds: seconds))
        }
    }

    /// Takes back a question put to the host's user.
    private func withdraw() {
        approvalTimer?.cancel()
        approvalTimer = nil
        if let r = approvalRequest { approvalRequest = nil; admission?.withdrawAdmission(r) }
    }

    /// Refuses (telling the peer why when `tell`), then reports `f` to the connection, which closes.
    private func fail(_ context: ChannelHandlerContext, _ f: AuthFailure, tell: Bool = true) {
        perform(context, step.fail(f, tell: tell))
    }

    private func report(_ context: ChannelHandlerContext, _ f: AuthFailure) {
        guard !reported else { return }
        reported = true
        context.fireErrorCaught(PeerError.unauthorized(f))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard state != .done else { return context.fireErrorCaught(error) }
        if error is PeerError { return context.fireErrorCaught(error) }
        if case .joiner(let inv, let pin?) = role, let seen = pin.seen.withLockedValue({ $0 }), seen != pin.expected {
            return fail(context, .fingerprintMismatch(expected: PeerIdentity.hex(inv.hostFingerprint), got: PeerIdentity.hex(seen)), tell: false)
        }
        if !isHost, AuthHandler.isNotTLS(error) { return fail(context, .notWeaveHost, tell: false) }
        fail(context, .tls(AuthHandler.describeTLS(error, host: isHost)), tell: false)
    }

    /// Whether a TLS error says the other end does not speak TLS at all (it
    /// sent bytes that are no TLS record: an HTTP server, another protocol),
    /// as opposed to a TLS peer refusing us or a connection cut short.
    static func isNotTLS(_ error: Error) -> Bool {
        guard let e = error as? NIOSSLError, case .handshakeFailed = e else { return false }
        let reasons = ["WRONG_VERSION_NUMBER", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST", "PACKET_LENGTH_TOO_LONG",
                       "ENCRYPTED_LENGTH_TOO_LONG", "UNEXPECTED_RECORD"]
        let s = "\(error)"
        return reasons.contains { s.contains($0) }
    }

    /// BoringSSL's reason codes in an error ("WRONG_VERSION_NUMBER"), without
    /// its numbers and source paths; nil when there are none.
    static func boringReasons(_ s: String) -> String? {
        // "error:100000f7:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER at /path/file.cc:127"
        var out: [String] = []
        for part in s.components(separatedBy: "OPENSSL_internal:").dropFirst() {
            let code = part.prefix { $0.isUppercase || $0.isNumber || $0 == "_" }
            if !code.isEmpty { out.append(String(code)) }
        }
        return out.isEmpty ? nil : out.joined(separator: ", ")
    }

    func channelInactive(context: ChannelHandlerContext) {
        withdraw()
        fail(context, .tls(isHost ? "the joiner closed the connection before authenticating"
                                  : "the host closed the connection before authentication (a plaintext host, or an older Weave?)"),
             tell: false)
        context.fireChannelInactive()
    }

    static func describeTLS(_ error: Error, host: Bool) -> String {
        let s = "\(error)"
        if s.contains("CERTIFICATE") || s.contains("certificate") {
            let why = boringReasons(s)?.lowercased().replacingOccurrences(of: "_", with: " ") ?? s
            return host ? "the joiner rejected this host's certificate (its invitation names another host): \(why)" : why
        }
        if let e = error as? NIOSSLError, e == .uncleanShutdown {
            return host ? "the joiner left during the TLS handshake" : "the host closed the connection during the TLS handshake (a plaintext host, or an older Weave?)"
        }
        if s.contains("EOF during handshake") { return "the connection was cut during the TLS handshake" }
        if let reasons = boringReasons(s) { return reasons.lowercased().replacingOccurrences(of: "_", with: " ") }
        if let e = error as? IOError { return "\(String(cString: strerror(e.errnoCode)))" }
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

    private func sendAuth(_ context: ChannelHandlerContext, _ message: AuthMessage) {
        var w = ByteWriter()
        message.encode(into: &w)
        var b = context.channel.allocator.buffer(capacity: w.bytes.count + 4)
        FrameEncoder.write(w.bytes, to: &b)
        context.writeAndFlush(wrapOutboundOut(b), promise: nil)
    }
}
