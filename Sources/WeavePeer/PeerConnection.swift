import NIOCore
import WeaveCore

/// One connection to a peer: the handshake, heartbeats, and the link between
/// the socket and the hub. A channel handler confined to the hub's event loop
/// (hence `@unchecked Sendable`: it is only touched there).
///
/// States: `greeting` (the side that connected has sent Hello and waits for
/// Welcome or Refuse; the side that accepted waits for Hello) → `open` (ops,
/// presence, ping/pong, bye) → `closing` (nothing more is read) → closed.
final class PeerConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Message
    typealias OutboundOut = ByteBuffer

    enum State: String { case greeting = "waiting for the handshake", open = "connected", closing = "closing" }

    let hub: PeerHub
    let id: Int
    /// The outbound link this connection belongs to, if this side connected.
    let link: Int?
    var outbound: Bool { link != nil }
    private(set) var context: ChannelHandlerContext?
    private(set) var state = State.greeting
    var address = "?"

    /// The peer's greeting, once received.
    private(set) var remote: Greeting?
    private(set) var info: PeerInfo?
    /// A lower bound of what the peer has: its greeting's version, raised by
    /// every unit sent to it and received from it. `push` sends what is above it.
    var known = VersionVector()
    /// The peer's version at the handshake, until this replica has all of it.
    var catchUpTarget: VersionVector?
    /// The first push after the handshake is the catch-up; it is logged.
    var catchUpPending = false
    /// What the peer said it has applied (its greeting, then its Acks): unlike
    /// `known`, never raised by sending.
    var acked = VersionVector()
    /// Replicas whose units arrived from the peer since the last Ack sent to it.
    var ackReplicas: Set<ReplicaID> = []
    var ackScheduled = false
    /// Replicas whose author card went to the peer on this connection.
    var authorsSent: Set<ReplicaID> = []
    /// Per document of a shared folder: what the peer holds and asked for.
    var documents: [DocumentID: DocumentLink] = [:]
    /// Documents whose units could not all be sent (the channel stopped being writable).
    var behindDocuments: Set<DocumentID> = []
    /// Replicas whose units this side refused from the peer (logged once each; PeerHub+Authorship.swift).
    var refusedReplicas: Set<ReplicaID> = []
    /// Replicas this connection bound to its identity (at most `ReplicaOwners.maxIntroducedPerLink`).
    var replicasIntroduced = 0

    /// Why the connection is closing, first reason wins.
    private(set) var closeReason: PeerError?
    private var handshakeTimer: Scheduled<Void>?
    /// When the handshake clock started (`beginHandshake`).
    private var handshakeStarted: NIODeadline?
    /// The host's user is asked (`AuthAwaitingApproval`): the handshake waits for that answer only.
    private var awaitingApproval = false
    /// When this side first wrote to the socket, and the round trip measured
    /// from it to the first bytes read after it (`HeardFrom`): during the
    /// handshake it is the link's round trip (TLS records, Challenge, Hello).
    var firstWrite: NIODeadline?
    var handshakeRTT: TimeAmount?
    private var heartbeat: RepeatedTask?
    private var deadCheck: Scheduled<Void>?
    private(set) var wasActive = false
    /// False until the `AuthHandler` (TLS links) says the peer is authenticated:
    /// nothing is sent before. Plaintext links start authenticated.
    var authenticated = true
    /// The link was made with a read-only invitation: the host refuses the joiner's Ops.
    private(set) var readOnly = false
    /// The peer's certificate fingerprint (TLS links).
    private(set) var peerFingerprint: [UInt8]?
    /// (Host side) the invitation the peer joined with: revoking it closes this connection.
    private(set) var invitationID: [UInt8]?
    private var finished = false
    /// (Accepted) the channel was accepted with autoRead off: nothing is read
    /// until `beginHandshake`.
    var startsPaused = false
    /// (Accepted) holds one of the hub's handshake slots.
    var holdsHandshakeSlot = false

    // Stats.
    var lastHeard: NIODeadline
    /// When the heartbeat last ran (loop time): a tick that comes late shows
    /// this side was busy, not that the peer was silent.
    var lastHeartbeatTick: NIODeadline?
    var rtt: TimeAmount?
    var opsSent = 0, unitsSent = 0, opsReceived = 0, unitsReceived = 0, framesSent = 0, framesReceived = 0, opsDeclined = 0
    /// Bytes read from and written to the socket (`HeardFrom`; TLS records included).
    var bytesIn = 0, bytesOut = 0

    init(hub: PeerHub, id: Int, link: Int?) {
        self.hub = hub
        self.id = id
        self.link = link
        lastHeard = hub.eventLoop.now
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { becameActive(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        becameActive(context)
        context.fireChannelActive()
    }

    private func becameActive(_ context: ChannelHandlerContext) {
        guard !wasActive else { return }
        wasActive = true
        address = context.channel.remoteAddress.map(PeerHub.describe) ?? "?"
        lastHeard = context.eventLoop.now
        if let local = context.channel.localAddress, let remote = context.channel.remoteAddress, local == remote {
            // A dial to a free loopback port can connect to itself (TCP simultaneous
            // open, source port = destination port). That is no peer: drop it, and the
            // link dials again after its backoff, freeing the port for a listener.
            context.close(promise: nil)
            return
        }
        hub.connectionActive(self)
        if outbound { beginHandshake() } else { hub.admit(self) }
    }

    /// Starts the handshake: its clock, and Hello from the side that connected.
    /// An accepted connection waits for this until the hub has a handshake slot
    /// for it (`Configuration.maxHandshakes`); a paused one starts reading here.
    func beginHandshake() {
        guard let context, state == .greeting, handshakeTimer == nil else { return }
        handshakeStarted = context.eventLoop.now
        handshakeTimer = context.eventLoop.scheduleTask(in: hub.configuration.handshakeTimeout) { [self] in
            handshakeClockRan()
        }
        if startsPaused {
            startsPaused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
            context.read()
        }
        if outbound && authenticated {
            send(.hello(hub.greeting()))
            flush()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let wait = event as? AuthAwaitingApproval {
            // The host's user is asked: the handshake may take that long.
            handshakeTimer?.cancel()
            awaitingApproval = true
            handshakeTimer = context.eventLoop.scheduleTask(in: wait.timeout) { [self] in
                fail(.handshakeTimeout(seconds: Double(wait.timeout.nanoseconds) / 1e9))
            }
            if outbound { hub.awaitingApproval(self) } else { hub.releaseHandshakeSlot(self) }  // the user may take a while
            return
        }
        guard let auth = event as? PeerAuthenticated else { return context.fireUserInboundEventTriggered(event) }
        authenticated = true
        readOnly = auth.readOnly
        peerFingerprint = auth.peerFingerprint
        invitationID = auth.invitationID
        if outbound && wasActive && state == .greeting {
            send(.hello(hub.greeting()))
            flush()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { hub.push(to: self) }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(PeerHub.peerError(error, limit: hub.configuration.maxFrameSize))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard state != .closing else { return }
        let message = unwrapInboundIn(data)
        lastHeard = context.eventLoop.now
        framesReceived += 1
        switch (state, message) {
        case (.greeting, .hello(let g)) where !outbound:
            if g.replica == hub.replica {
                refuse(Refusal(code: .sameReplica, text: "the peer uses this replica's own ID \(g.replica)"), error: .sameReplica(g.replica))
            } else if !hub.isAccepting {
                refuse(Refusal(code: .offline, text: "the peer is offline"), error: .closedLocally(reason: "offline"))
            } else if let why = hub.shareMismatch(g.share) {
                refuse(Refusal(code: .otherShare, text: why), error: .refused(Refusal(code: .otherShare, text: why)))
            } else if let refusal = hub.authorshipRefusal(hello: g, from: self) {
                refuse(refusal, error: .refused(refusal))
            } else {
                send(.welcome(hub.greeting()))
                open(g)
            }
        case (.greeting, .welcome(let g)) where outbound:
            if g.replica == hub.replica {
                refuse(Refusal(code: .sameReplica, text: "the peer uses this replica's own ID \(g.replica)"), error: .sameReplica(g.replica))
            } else {
                open(g)
            }
        case (_, .refuse(let r)):
            fail(.refused(r))
        case (.open, .ops(let ops)) where readOnly && !outbound:
            // Defence in depth (a read-only joiner's editor refuses edits itself):
            // the batch is not applied, the joiner is told, and the link stays.
            hub.declined(ops, from: self)
        case (.open, .declined(let d)):
            hub.received(d, from: self)
        case (.open, .ack(let v)):
            hub.received(ack: v, from: self)
        case (.open, .ops(let ops)):
            do throws(PeerError) {
                try hub.received(ops, from: self)
            } catch {
                fail(error)
            }
        case (.open, .presence(let p)):
            hub.received(p, from: self)
        case (.open, .history(let h)):
            hub.received(h, from: self)
        case (.open, .open(let d, let v)):
            hub.received(open: d, version: v, from: self)
        case (.open, .scoped(let d, .ops(let ops))) where readOnly && !outbound:
            _ = d
            hub.declined(ops, from: self)
        case (.open, .scoped(let d, .ops(let ops))):
            do throws(PeerError) {
                try hub.received(ops, document: d, from: self)
            } catch {
                fail(error)
            }
        case (.open, .scoped(let d, .history(let h))):
            hub.received(h, document: d, from: self)
        case (_, .ping(let t)):
            send(.pong(t))
            flush()
        case (.open, .pong(let t)):
            let now = UInt64(context.eventLoop.now.uptimeNanoseconds)
            if t <= now { rtt = .nanoseconds(Int64(now - t)) }
        case (_, .bye(let reason)):
            fail(.peerLeft(reason: reason))
        default:
            fail(.unexpected(message: message.kind.name, state: state.rawValue))
        }
    }

    // MARK: Handshake

    /// The handshake's time is up, unless the link is slow: its limit is
    /// `handshakeTimeout` plus `handshakeRoundTrips` times the round trip
    /// measured during it (at most `handshakeLimit`), since the handshake
    /// takes about four round trips (TLS, Challenge and Proof, Accept, Hello
    /// and Welcome). A peer that never answered, or answers fast but does
    /// not finish, is still cut at `handshakeTimeout` (docs/WIRE.md, "Handshake").
    private func handshakeClockRan() {
        guard state == .greeting, let start = handshakeStarted, let loop = context?.eventLoop else { return }
        let c = hub.configuration
        let base = c.handshakeTimeout
        guard !awaitingApproval, let rtt = handshakeRTT, rtt >= c.slowLinkRoundTrip else {
            return fail(.handshakeTimeout(seconds: PeerError.rounded(base)))
        }
        let limit = min(base + .nanoseconds(rtt.nanoseconds * Int64(c.handshakeRoundTrips)), max(base, c.handshakeLimit))
        if loop.now - start < limit {
            handshakeTimer = loop.scheduleTask(deadline: start + limit) { [self] in handshakeClockRan() }
            return
        }
        fail(.slowLink(seconds: PeerError.rounded(limit), roundTrip: PeerError.rounded(rtt)))
    }

    private func open(_ g: Greeting) {
        handshakeTimer?.cancel()
        handshakeTimer = nil
        state = .open
        remote = g
        known = g.version
        acked = g.version
        catchUpTarget = g.version
        catchUpPending = true
        info = PeerInfo(connection: id, replica: g.replica, name: g.name, colour: g.colour, address: address, outbound: outbound,
                        readOnly: readOnly, fingerprint: peerFingerprint.map(PeerIdentity.hex), share: g.share)
        let interval = hub.configuration.heartbeatInterval
        let deadAfter = hub.configuration.deadAfter
        lastHeartbeatTick = context?.eventLoop.now ?? lastHeard
        heartbeat = context?.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in
            guard state == .open, let loop = context?.eventLoop else { return }
            // A tick that runs late means this side's loop was busy (or the
            // process was not scheduled): nothing could be read meanwhile, so
            // that time is not the peer's silence.
            let late = loop.now - (lastHeartbeatTick ?? loop.now) - interval
            lastHeartbeatTick = loop.now
            if late > interval { lastHeard = lastHeard + late }
            if loop.now - lastHeard > deadAfter {
                fail(.peerSilent(seconds: PeerError.rounded(loop.now - lastHeard)))
            } else {
                send(.ping(UInt64(loop.now.uptimeNanoseconds)))
                flush()
                // The silence ends before the next tick: look again right then,
                // so a dead link is noticed at `deadAfter`, not up to a tick later.
                if deadCheck == nil, loop.now + interval - lastHeard > deadAfter {
                    deadCheck = loop.scheduleTask(deadline: lastHeard + deadAfter + .milliseconds(1)) { [self] in
                        deadCheck = nil
                        guard state == .open, let now = context?.eventLoop.now, now - lastHeard > deadAfter else { return }
                        fail(.peerSilent(seconds: PeerError.rounded(now - lastHeard)))
                    }
                }
            }
        }
        hub.connectionOpened(self)
    }

    /// Sends a refusal, then closes.
    func refuse(_ r: Refusal, error: PeerError) {
        guard state != .closing else { return }
        if closeReason == nil { closeReason = error }
        send(.refuse(r))
        closeAfterFlush()
    }

    // MARK: Sending

    /// Writes one message as a frame (not flushed). Returns the frame's payload size.
    @discardableResult
    func send(_ m: Message) -> Int {
        sendPayload(m.encode())
    }

    /// Writes an already encoded message (not flushed). Returns its size.
    @discardableResult
    func sendPayload(_ payload: [UInt8]) -> Int {
        guard let context, state != .closing, authenticated else { return 0 }
        var buffer = context.channel.allocator.buffer(capacity: payload.count + 4)
        FrameEncoder.write(payload, to: &buffer)
        context.write(wrapOutboundOut(buffer), promise: nil)
        framesSent += 1
        return payload.count
    }

    func flush() { context?.flush() }

    // MARK: Closing

    /// Closes the connection because of `error` (the first reason is kept). A
    /// version mismatch in the greeting is answered with a Refuse naming both versions.
    func fail(_ error: PeerError) {
        guard state != .closing, context != nil else { return }
        if state == .greeting, case .versionMismatch(let theirs, let ours) = error {
            refuse(Refusal(code: .versionMismatch, protocolVersion: ours,
                           text: "protocol version \(theirs) is not supported (this Weave speaks version \(ours))"),
                   error: error)
            return
        }
        if closeReason == nil { closeReason = error }
        state = .closing
        context?.close(promise: nil)
        // Reported now: over TLS the close waits for the peer's goodbye
        // (close_notify), which a dead link never sends.
        finish()
    }

    /// Says goodbye and closes (going offline, shutting down).
    func leave(_ reason: String) {
        guard state != .closing, context != nil else { return }
        if closeReason == nil { closeReason = .closedLocally(reason: reason) }
        if state == .open { send(.bye(reason)) }
        closeAfterFlush()
    }

    private func closeAfterFlush() {
        guard let context else { return }
        state = .closing
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    /// Runs once when the connection is gone.
    private func finish() {
        guard !finished else { return }
        finished = true
        state = .closing
        handshakeTimer?.cancel()
        heartbeat?.cancel()
        deadCheck?.cancel()
        hub.connectionClosed(self, reason: closeReason ?? .io("connection closed by the peer"))
    }
}

/// Notes every read of bytes from the peer as "heard from" before anything
/// is decoded — it is the pipeline's first handler, so TLS records count too: a
/// peer in the middle of sending a large frame is alive, and so is one whose
/// frames arrive slowly (keep-alive must not cut a slow link). It also
/// measures the round trip during the handshake: from this side's first write
/// to the first bytes read after it.
final class HeardFrom: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let connection: PeerConnection

    init(_ connection: PeerConnection) { self.connection = connection }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = context.eventLoop.now
        connection.lastHeard = now
        connection.bytesIn += unwrapInboundIn(data).readableBytes
        if connection.handshakeRTT == nil, let sent = connection.firstWrite, now > sent {
            connection.handshakeRTT = now - sent
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if connection.firstWrite == nil { connection.firstWrite = context.eventLoop.now }
        connection.bytesOut += unwrapOutboundIn(data).readableBytes
        context.write(data, promise: promise)
    }
}
