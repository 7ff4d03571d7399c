#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import WeaveCore

/// Outbound links: dialing a peer, redialing with backoff (or fast, after a
/// restarting relay's goodbye), and a failed dial told in words.
extension PeerHub {
    /// Connects to a peer at `host:port` and keeps the link up: after a failure
    /// or a drop it retries after `configuration.backoff`'s delays (reset by
    /// every successful handshake) until `disconnect`, `shutdown`, or a refusal
    /// that would repeat (another protocol version). Returns at once.
    ///
    /// With an `invitation` the link runs over TLS 1.3: the host's certificate
    /// must have the invitation's fingerprint, and this side proves it holds the
    /// invitation's secret before the Weave handshake. Refusals (wrong secret,
    /// fingerprint mismatch, expired or revoked invitation) stop the link
    /// (`PeerEvent.linkFailed` with `PeerError.unauthorized` or `.refused`).
    @discardableResult
    public func connect(host: String, port: Int, invitation: Invitation? = nil) -> LinkID {
        let id = linkIDs.withLockedValue { $0 += 1; return $0 }
        eventLoop.execute { [self] in
            let link = OutboundLink(id: id, host: host, port: port, backoff: configuration.backoff)
            link.invitation = invitation
            links[id] = link
            dial(link)
        }
        return LinkID(rawValue: id)
    }

    /// Stops an outbound link and closes its connection.
    public func disconnect(_ link: LinkID) {
        eventLoop.execute { [self] in
            guard let l = links.removeValue(forKey: link.rawValue) else { return }
            l.stopped = true
            l.retry?.cancel()
            l.connection?.leave("disconnected")
        }
    }

    func dial(_ link: OutboundLink) {
        guard online, !closing, !link.stopped, link.connection == nil, !link.dialing else { return }
        link.retry?.cancel()
        link.retry = nil
        link.attempt += 1
        link.dialing = true
        let address = "\(link.host):\(link.port)"
        logger.info("connecting", metadata: ["link": "\(link.id)", "address": "\(address)", "attempt": "\(link.attempt)"])
        emit(.connecting(LinkID(rawValue: link.id), address: address, attempt: link.attempt))
        let id = link.id
        ClientBootstrap(group: eventLoop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.writeBufferWaterMark, value: waterMark)
            .connectTimeout(configuration.connectTimeout)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let invitation = link.invitation {
                        let contexts = try self.tls()
                        let pin = PinnedFingerprint(invitation.hostFingerprint)
                        let client = try NIOSSLClientHandler(context: contexts.client, serverHostname: nil,
                                                             customVerificationCallback: pin.verify)
                        try channel.pipeline.syncOperations.addHandlers([
                            client, AuthHandler(role: .joiner(invitation, pin), ownFingerprint: self.tlsIdentity!.fingerprint,
                                                name: self.configuration.name),
                        ])
                    }
                    _ = try self.install(on: channel, link: id)
                }
            }
            .connect(host: link.host, port: link.port)
            .whenComplete { [self] result in
                link.dialing = false
                if case .failure(let error) = result {
                    let reason = PeerHub.connectFailure(error, address: address)
                    logger.warning("connect failed", metadata: ["link": "\(id)", "address": "\(address)", "error": "\(error)"])
                    linkDown(link, reason: reason)
                }
            }
    }

    func linkDown(_ link: OutboundLink, reason: PeerError) {
        guard !link.stopped, !closing, links[link.id] === link else { return }
        if reason.isPermanent {
            link.stopped = true
            logger.error("link stopped", metadata: ["link": "\(link.id)", "reason": "\(reason)"])
            emit(.linkFailed(LinkID(rawValue: link.id), reason: reason))
            return
        }
        guard online else { return }
        if case .peerLeft(PeerHub.restartingReason) = reason { link.fastRedialUntil = eventLoop.now + configuration.restartRedialWindow }
        let fast = link.fastRedialUntil.map { eventLoop.now < $0 } ?? false
        // A relay that said it is restarting is dialled every 100-250 ms until it is back (or the window ends).
        let delay = fast ? .milliseconds(Int64.random(in: 100 ... 250, using: &rng)) : link.backoff.nextDelay(using: &rng)
        logger.info("retrying", metadata: ["link": "\(link.id)", "delay_ms": "\(delay.nanoseconds / 1_000_000)"])
        emit(.retrying(LinkID(rawValue: link.id), delay: delay, reason: reason))
        link.retry = eventLoop.scheduleTask(in: delay) { [self] in
            link.retry = nil
            dial(link)
        }
    }

    /// (Joiner) the host's user is asked to let this side in.
    func awaitingApproval(_ c: PeerConnection) {
        guard let id = c.link else { return }
        logger.info("waiting for the host's approval", metadata: meta(c))
        emit(.awaitingApproval(LinkID(rawValue: id)))
    }

    /// A failed dial in words: refused (nothing listens there), no answer in
    /// time, an unknown host, or the system's sentence for the errno; never a
    /// dump of NIO's error values.
    static func connectFailure(_ error: Error, address: String) -> PeerError {
        func errno(_ e: Error) -> Int32? { (e as? IOError)?.errnoCode }
        if let e = error as? NIOConnectionError {
            if e.connectionErrors.isEmpty, e.dnsAError != nil || e.dnsAAAAError != nil {
                return .cannotConnect(address: address, reason: "unknown host \(e.host)")
            }
            let codes = e.connectionErrors.compactMap { errno($0.error) }
            if !codes.isEmpty, codes.allSatisfy({ $0 == ECONNREFUSED }) { return .connectionRefused(address: address) }
            if let code = codes.first(where: { $0 != ECONNREFUSED }) ?? codes.first {
                return .cannotConnect(address: address, reason: String(cString: strerror(code)))
            }
            if e.connectionErrors.contains(where: { if case ChannelError.connectTimeout = $0.error { return true } else { return false } }) {
                return .cannotConnect(address: address, reason: "no answer in time")
            }
        }
        if case ChannelError.connectTimeout = error { return .cannotConnect(address: address, reason: "no answer in time") }
        if let code = errno(error) {
            return code == ECONNREFUSED ? .connectionRefused(address: address)
                : .cannotConnect(address: address, reason: String(cString: strerror(code)))
        }
        return .cannotConnect(address: address, reason: "\(error)")
    }
}

/// An outbound link: a peer address this hub keeps connected. Loop-confined.
final class OutboundLink: @unchecked Sendable {
    let id: Int
    let host: String
    let port: Int
    var backoff: Backoff
    var attempt = 0
    var dialing = false
    var stopped = false
    var connection: PeerConnection?
    var retry: Scheduled<Void>?
    /// What the peer was known to have when the link last dropped.
    var lastKnown: VersionVector?
    var lastPeer: PeerInfo?
    /// Set: the link runs over TLS and authenticates with it.
    var invitation: Invitation?
    /// The peer said it is restarting (`PeerHub.restartingReason`): redial fast until then.
    var fastRedialUntil: NIODeadline?

    init(id: Int, host: String, port: Int, backoff: Backoff) {
        self.id = id
        self.host = host
        self.port = port
        self.backoff = backoff
    }
}
