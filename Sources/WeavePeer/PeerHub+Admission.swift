import NIOCore
import NIOPosix
import WeaveCore

/// Letting peers in: listening, the queue of accepted connections waiting for a
/// handshake slot (`Configuration.maxHandshakes`), and the user's answer to a
/// newcomer who needs approval (`AdmissionControl`).
extension PeerHub {
    /// Starts accepting peers on `host:port` (port 0: any free port). Blocks
    /// until bound; returns the bound address. Throws when binding fails.
    @discardableResult
    public func listen(host: String = "127.0.0.1", port: Int = 0) throws -> SocketAddress {
        if configuration.security != nil { _ = try eventLoop.submit { [self] in try tls(); prepareAuthorship() }.wait() }
        let channel = try ServerBootstrap(group: eventLoop)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.writeBufferWaterMark, value: waterMark)
            .childChannelOption(ChannelOptions.autoRead, value: false)  // until admitted: see `admit`
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let security = self.configuration.security, let contexts = self.tlsContexts {
                        let book = security.invitations, own = security.identity.fingerprint
                        let gate: AdmissionControl? = security.requireApproval ? self : nil
                        let timeout = security.approvalTimeout
                        try channel.pipeline.syncOperations.addHandler(TLSSniffer(tls: contexts.server) {
                            AuthHandler(role: .host(book), ownFingerprint: own, admission: gate, approvalTimeout: timeout)
                        })
                    }
                    try self.install(on: channel, link: nil).startsPaused = true
                }
            }
            .bind(host: host, port: port).wait()
        let address = channel.localAddress!
        try eventLoop.submit { [self] in
            listeners.append(channel)
            logger.info("listening", metadata: ["address": "\(PeerHub.describe(address))"])
            if configuration.security != nil, revocationSweep == nil {
                revocationSweep = eventLoop.scheduleRepeatedTask(initialDelay: configuration.revocationCheckInterval,
                                                                 delay: configuration.revocationCheckInterval) { [self] _ in
                    enforceInvitations()
                }
            }
        }.wait()
        return address
    }

    /// Whether a newcomer's Hello is welcomed.
    var isAccepting: Bool { online && !closing }

    /// An accepted connection begins its handshake now if fewer than
    /// `maxHandshakes` are in theirs, else when one ends (opened, closed, or
    /// waiting for the user's approval). On the loop.
    func admit(_ c: PeerConnection) {
        if handshakeSlots < configuration.maxHandshakes {
            handshakeSlots += 1
            c.holdsHandshakeSlot = true
            c.beginHandshake()
        } else {
            waitingForHandshake.append(c)
            logger.info("handshake queued", metadata: meta(c, ["waiting": "\(waitingForHandshake.count)"]))
        }
    }

    /// `c`'s handshake is over (or it left the queue): the next in line begins.
    func releaseHandshakeSlot(_ c: PeerConnection) {
        if c.holdsHandshakeSlot {
            c.holdsHandshakeSlot = false
            handshakeSlots -= 1
        } else if let i = waitingForHandshake.firstIndex(where: { $0 === c }) {
            waitingForHandshake.remove(at: i)
        }
        while handshakeSlots < configuration.maxHandshakes, !waitingForHandshake.isEmpty {
            let next = waitingForHandshake.removeFirst()
            guard next.state == .greeting, next.context != nil else { continue }
            handshakeSlots += 1
            next.holdsHandshakeSlot = true
            next.beginHandshake()
        }
    }

    /// Answers a newcomer's request to join (`PeerEvent.approvalRequested`):
    /// `allow` lets it in (and its key, for the rest of this run), otherwise it
    /// is refused ("the host did not let you in"). A request already withdrawn is ignored.
    public func answer(_ request: Int, allow: Bool) {
        eventLoop.execute { [self] in
            guard let a = admissions.removeValue(forKey: request) else { return }
            if allow { admittedKeys.insert(a.key) }
            logger.info(allow ? "newcomer let in" : "newcomer refused", metadata: ["request": "\(request)", "key": "\(a.key.prefix(16))"])
            a.answer(allow)
        }
    }
}

extension PeerHub: AdmissionControl {
    func requestAdmission(_ newcomer: Newcomer, answer: @escaping (Bool) -> Void) -> Int? {
        eventLoop.preconditionInEventLoop()
        if admittedKeys.contains(newcomer.fingerprint) { return nil }
        let id = nextAdmission
        nextAdmission += 1
        var n = newcomer
        n.request = id
        admissions[id] = (newcomer.fingerprint, answer)
        logger.info("newcomer waiting for approval", metadata: [
            "request": "\(id)", "name": "\(n.name)", "address": "\(n.address)", "key": "\(n.fingerprint.prefix(16))",
        ])
        emit(.approvalRequested(n))
        return id
    }

    func withdrawAdmission(_ request: Int) {
        eventLoop.preconditionInEventLoop()
        guard admissions.removeValue(forKey: request) != nil else { return }
        emit(.approvalWithdrawn(request: request))
    }
}
