#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import WeaveCore

/// A peer: one replica of a document, shared live with any number of peers.
///
/// The hub owns an `RGA` and every connection, all confined to one event loop
/// (its own one-thread group unless given a loop). It accepts connections
/// (`listen`), makes them (`connect`, which reconnects with backoff), and keeps
/// every connected peer up to date: after the handshake each side sends exactly
/// what the other lacks (`RGA.operations(since:)`), then every new unit, local
/// or received, goes to every peer not known to have it — so peers that are not
/// directly connected converge through the ones between them.
///
/// Thread safety: every public method may be called from any thread except
/// the blocking ones (`listen`, `shutdown`, `snapshot`, `currentStats`), which
/// must not be called on the hub's event loop. Events go to `onEvent` on the
/// hub's loop; a UI thread uses a `PeerInbox` (see `PeerEvent`).
///
/// Editor integration: the editor keeps its own `RGA` with the hub's replica ID
/// (`PeerHub(document:)` takes a copy of it), passes every local operation to
/// `submit`, applies `PeerEvent.remoteOperations` to its replica, and reports
/// its cursor with `setCursor`.
public final class PeerHub: @unchecked Sendable {
    /// Tunables. The defaults suit a person typing over a LAN or the internet.
    public struct Configuration: Sendable {
        /// Shown to other peers.
        public var name: String
        /// A colour index shown to other peers.
        public var colour: UInt8
        /// The largest frame accepted, in bytes. Every peer must accept 16 MiB.
        public var maxFrameSize = 16 << 20
        /// The most units sent in one Ops frame (at ~50 bytes per unit worst case, well under 16 MiB).
        public var maxUnitsPerFrame = 32_768
        /// A connection that has not completed its handshake by then is closed,
        /// unless the link is slow (see `handshakeRoundTrips`).
        public var handshakeTimeout: TimeAmount = .seconds(5)
        /// A slow link's handshake (round trip measured during it of at least
        /// `slowLinkRoundTrip`) gets this many round trips more than
        /// `handshakeTimeout`, up to `handshakeLimit`: at 700 ms each way the
        /// TLS handshake takes about 5.6 s, so a fixed 5 s could never join.
        public var handshakeRoundTrips = 6
        public var slowLinkRoundTrip: TimeAmount = .milliseconds(100)
        public var handshakeLimit: TimeAmount = .seconds(30)
        /// How often a Ping is sent on an idle or busy connection.
        public var heartbeatInterval: TimeAmount = .seconds(1)
        /// A peer not heard from for this long is dead: its connection is closed.
        public var deadAfter: TimeAmount = .seconds(6)
        /// The most accepted connections in their handshake (TLS, authentication,
        /// greeting) at once. More wait, accepted but unread, in arrival order,
        /// and their handshake clock starts when their turn comes: a connection
        /// storm (every peer redialling after a relay restart) queues instead of
        /// starving the links already open.
        public var maxHandshakes = 16
        /// Reconnection delays for outbound links.
        public var backoff = Backoff()
        /// After a peer's goodbye says it is restarting (`PeerHub.restartingReason`),
        /// its link redials every 100-250 ms for this long instead of backing off.
        public var restartRedialWindow: TimeAmount = .seconds(30)
        /// Whether this peer has a cursor: false for a headless peer (a relay),
        /// whose presence is then not sent until `setCursor` (no phantom cursor
        /// at the document start on every joiner).
        public var showsCursor = true
        /// Output buffered per connection before it stops being writable (then
        /// new units only mark the peer as behind; see `push`).
        public var writeBufferLowWaterMark = 256 << 10
        public var writeBufferHighWaterMark = 1 << 20
        /// The least time between two rounds of outbound traffic caused by peers
        /// (relayed units, presences; one flush per connection per round). A
        /// round goes at once when the last one is older; otherwise what arrives
        /// meanwhile waits for the next round and goes together: a relay with 50
        /// typists sends ~50 rounds a second per peer instead of one frame per
        /// keystroke per peer. This replica's own edits (`submit`) are not paced:
        /// they go at once, with whatever waited. `.zero`: every round goes on
        /// the next loop turn.
        public var outboundPacing: TimeAmount = .milliseconds(20)
        /// Called on the hub's loop with the units of each catch-up sent to a peer
        /// right after its handshake (a relay's metrics; keep it short).
        public var onCatchUp: (@Sendable (Int) -> Void)?
        /// The document's causal buffer bound (`RGA.pendingLimit`); nil keeps the document's.
        public var pendingLimit: Int?
        /// TLS 1.3 on every link: `listen` then accepts only invited peers
        /// (`security.invitations`), and `connect(…, invitation:)` uses this identity.
        /// nil: plaintext (a `connect` with an invitation then uses a throwaway identity).
        public var security: PeerSecurity?
        /// How often a TLS host re-reads its invitations (`InvitationBook.refresh`)
        /// and closes the links whose invitation was revoked or has expired.
        public var revocationCheckInterval: TimeAmount = .seconds(1)
        /// What this hub shares: one file (its document), or a folder (its main
        /// document is the folder's state; `addDocument` adds its files).
        /// Peers that share something else are refused at the greeting.
        public var share: Greeting.Share = .file
        /// The most documents one connection may name in Open messages (bounds
        /// what a peer can make this side remember); one more closes the link.
        public var maxDocumentsPerConnection = 1 << 16
        public var logger = Logger(label: "weave.peer", factory: { _ in SwiftLogNoOpLogHandler() })

        public init(name: String = "weave", colour: UInt8 = 0) {
            self.name = name
            self.colour = colour
        }
    }

    public let configuration: Configuration
    public let eventLoop: EventLoop
    /// The replica this peer edits as (the document's).
    public let replica: ReplicaID
    private let ownedGroup: EventLoopGroup?
    private let onEvent: (@Sendable (PeerEvent) -> Void)?
    private let linkIDs = NIOLockedValueBox(0)
    var logger: Logger { configuration.logger }

    // MARK: State confined to `eventLoop`

    var document: RGA
    var connections: [Int: PeerConnection] = [:]
    private var nextConnection = 1
    var links: [Int: OutboundLink] = [:]
    private var listeners: [Channel] = []
    private(set) var online = true
    private var closing = false
    /// Every replica's presence and the rules for replacing it.
    private(set) var presence: PresenceTable
    private var rng = SystemRandomNumberGenerator()
    /// TLS contexts, made at the first TLS link (loop-confined).
    private var tlsContexts: PeerSecurity.Contexts?
    private var tlsIdentity: PeerIdentity?
    /// Newcomers waiting for the user's answer, by request number.
    private var admissions: [Int: (key: String, answer: (Bool) -> Void)] = [:]
    private var nextAdmission = 1
    /// Keys the user let in during this run (their reconnections are not asked again).
    private var admittedKeys: Set<String> = []
    /// Re-reads the invitations and closes revoked links (TLS hosts).
    private var revocationSweep: RepeatedTask?
    /// Where each replica's edits begin and end, with their times: sent with the
    /// units they describe (docs/WIRE.md, "History").
    private(set) var marks = MarkTable()
    /// Every author's name and colour known here (this replica's own included).
    var authorCards: [ReplicaID: AuthorCard] = [:]
    /// Handshake slots in use, and accepted connections waiting for one (FIFO).
    private var handshakeSlots = 0
    private var waitingForHandshake: [PeerConnection] = []
    /// Presences waiting for the next outbound round, one per replica (the
    /// latest), with the connection it came from (not sent back there).
    private var pendingPresence: [ReplicaID: (presence: Presence, except: Int?)] = [:]
    private var outboundScheduled = false
    private var lastOutbound = NIODeadline.distantPast
    /// The most of this replica's own units any peer has acknowledged
    /// (its greeting or an Ack): they are safe from this peer's quitting.
    private(set) var ownAcknowledged: UInt32 = 0
    /// A shared folder's documents other than `main` (PeerHub+Documents.swift).
    var documents: [DocumentID: SharedDocument] = [:]
    /// Documents changed since the last outbound round.
    var changedDocuments: Set<DocumentID> = []
    /// Which identity may bring new units of each replica (PeerHub+Authorship.swift).
    let replicaOwners = ReplicaOwners()
    /// The traffic of closed connections (PeerHub+Metrics.swift).
    var closedTraffic = HubTraffic()

    /// A hub running on its own one-thread event loop, owning `document`.
    /// `onEvent` is called on that loop, in order; keep it short (a `PeerInbox.post`).
    public convenience init(document: RGA, configuration: Configuration = Configuration(),
                            onEvent: (@Sendable (PeerEvent) -> Void)? = nil) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.init(document: document, configuration: configuration, eventLoop: group.next(), ownedGroup: group, onEvent: onEvent)
    }

    /// A hub on a loop the caller owns (for example an `EmbeddedEventLoop` in tests).
    public convenience init(document: RGA, configuration: Configuration = Configuration(), eventLoop: EventLoop,
                            onEvent: (@Sendable (PeerEvent) -> Void)? = nil) {
        self.init(document: document, configuration: configuration, eventLoop: eventLoop, ownedGroup: nil, onEvent: onEvent)
    }

    private init(document: RGA, configuration: Configuration, eventLoop: EventLoop, ownedGroup: EventLoopGroup?,
                 onEvent: (@Sendable (PeerEvent) -> Void)?) {
        var document = document
        if let limit = configuration.pendingLimit { document.pendingLimit = limit }
        self.document = document
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.ownedGroup = ownedGroup
        self.onEvent = onEvent
        replica = document.localReplica
        // Presence sequences start at the wall clock so a restarted peer's are newer.
        presence = PresenceTable(own: Presence(replica: replica, sequence: PeerHub.wallClockMilliseconds(),
                                               name: configuration.name, colour: configuration.colour, cursor: nil),
                                 hasCursor: configuration.showsCursor)
        authorCards[replica] = AuthorCard(replica: replica, name: configuration.name, colour: configuration.colour)
    }

    // MARK: Public API

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

    /// What this replica's history already knows, so that peers get it with the
    /// units (call before `connect`/`listen`; later calls add to it): authors,
    /// and the edits' boundaries and times (`EditMark`; the first mark stated
    /// for a unit wins). Returns at once.
    public func addHistory(authors: [AuthorCard], marks: [EditMark]) {
        eventLoop.execute { [self] in
            for a in authors where a.replica != replica { authorCards[a.replica] = a }
            for m in marks { self.marks.insert(m) }
        }
    }

    /// Applies local operations (made by the editor on its replica, in order)
    /// and sends them to every peer, as one edit made at `time` (ms since 1970;
    /// default now): each run of consecutive units of one replica becomes one
    /// `EditMark`. Returns at once; order is preserved.
    public func submit(_ ops: [Operation], time: Int64? = nil) {
        guard !ops.isEmpty else { return }
        let time = time ?? Int64(PeerHub.wallClockMilliseconds())
        eventLoop.execute { [self] in
            for m in PeerHub.marks(of: ops, time: time) { marks.insert(m) }
            for op in ops {
                do {
                    try document.receive(op)
                } catch {
                    logger.error("local operation refused", metadata: ["error": "\(error)"])
                }
            }
            // This replica's own edits go at once (a person typing is slow; the
            // pacing is for what a relay forwards): with them, whatever waited.
            sendOutbound(force: true)
        }
    }

    /// Applies one local operation; see `submit(_:)`.
    public func submit(_ op: Operation) { submit([op]) }

    /// Tells peers where this replica's cursor is: the element just before it
    /// (nil: the document start). See `RGA.cursorElement(at:)`.
    /// With `selection`, the other end of this replica's selection (peers draw
    /// it in this replica's colour); nil: no selection.
    /// In a shared folder, `document` is the file the cursor is in.
    public func setCursor(_ element: ElementID?, selection: Presence.SelectionEnd? = nil, document: DocumentID = .main) {
        eventLoop.execute { [self] in
            announce(presence.moveCursor(to: element, selection: selection, document: document))
        }
    }

    /// Goes offline (`false`: says Bye to every peer, closes every connection,
    /// pauses outbound links, refuses newcomers) or back online (`true`:
    /// redials at once; both sides then exchange what the other lacks).
    public func setOnline(_ on: Bool) {
        eventLoop.execute { [self] in
            guard on != online, !closing else { return }
            online = on
            logger.info(on ? "online" : "offline")
            if on {
                for link in links.values {
                    link.backoff.reset()
                    dial(link)
                }
            } else {
                for link in links.values { link.retry?.cancel(); link.retry = nil }
                for c in connections.values { c.leave("offline") }
            }
            emit(.onlineChanged(on))
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

    /// How many of this replica's own units exist and how many a peer has
    /// acknowledged (docs/WIRE.md, "Acknowledgements").
    public func delivery() -> EventLoopFuture<Delivery> {
        eventLoop.submit { [self] in Delivery(own: Int(document.seen(replica)), acknowledged: Int(ownAcknowledged)) }
    }

    /// `delivery()`, waited for. Blocks (not on the hub's loop).
    public func currentDelivery() throws -> Delivery { try delivery().wait() }

    /// Runs `body` on the hub's loop with its document.
    public func withDocument<T: Sendable>(_ body: @escaping @Sendable (RGA) -> T) -> EventLoopFuture<T> {
        eventLoop.submit { [self] in body(document) }
    }

    /// A copy of the document (copy-on-write: O(1) until either side changes). Blocks.
    public func snapshot() throws -> RGA { try withDocument { $0 }.wait() }

    /// Sync health of every connection and outbound link.
    public func stats() -> EventLoopFuture<HubStats> {
        eventLoop.submit { [self] in makeStats() }
    }

    /// `stats()`, waited for. Blocks.
    public func currentStats() throws -> HubStats { try stats().wait() }

    /// Says Bye to every peer, closes every connection and listener, stops the
    /// loop if the hub owns it, and returns the final document. Blocks. Idempotent
    /// until the loop is gone; do not use the hub afterwards.
    @discardableResult
    public func shutdown(saying reason: String = "shutting down") throws -> RGA {
        let document = try eventLoop.flatSubmit { [self] in beginShutdown(reason) }.wait()
        if let ownedGroup { try ownedGroup.syncShutdownGracefully() }
        return document
    }

    // MARK: Connections (on the loop)

    private var waterMark: ChannelOptions.Types.WriteBufferWaterMark {
        .init(low: configuration.writeBufferLowWaterMark, high: configuration.writeBufferHighWaterMark)
    }

    /// Whether a newcomer's Hello is welcomed.
    var isAccepting: Bool { online && !closing }

    /// Installs the peer handlers on a new channel. Must run on the loop.
    /// Public for tests that drive a hub over an `EmbeddedChannel`.
    @discardableResult
    func install(on channel: Channel, link: Int?) throws -> PeerConnection {
        eventLoop.preconditionInEventLoop()
        let c = PeerConnection(hub: self, id: nextConnection, link: link)
        let ops = channel.pipeline.syncOperations
        c.authenticated = (try? ops.handler(type: AuthHandler.self)) == nil && (try? ops.handler(type: TLSSniffer.self)) == nil
        nextConnection += 1
        connections[c.id] = c
        try channel.pipeline.syncOperations.addHandler(HeardFrom(c), position: .first)  // before TLS: every byte counts
        try channel.pipeline.syncOperations.addHandler(FrameDecoder.handler(maxFrameSize: configuration.maxFrameSize))
        try channel.pipeline.syncOperations.addHandler(c)
        return c
    }

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

    func connectionActive(_ c: PeerConnection) {
        if let id = c.link, let l = links[id] { l.connection = c }
        logger.info("connection open", metadata: meta(c, ["direction": c.outbound ? "outbound" : "inbound"]))
    }

    func connectionOpened(_ c: PeerConnection) {
        releaseHandshakeSlot(c)
        guard let info = c.info, let remote = c.remote else { return }
        if let id = c.link, let l = links[id] {
            l.backoff.reset()
            l.fastRedialUntil = nil
            l.lastPeer = info
        }
        logger.info("handshake done", metadata: meta(c, [
            "name": "\(remote.name)", "their_units": "\(remote.version.total)",
            "our_units": "\(document.version.total)",
        ]))
        emit(.peerJoined(info))
        if authorCards[remote.replica] == nil {
            let card = AuthorCard(replica: remote.replica, name: remote.name, colour: remote.colour)
            authorCards[remote.replica] = card
            emit(.history(HistoryNote(authors: [card])))
        }
        noteAcknowledged(remote.version[replica])
        for p in presence.presences(for: remote.replica) { c.send(.presence(p)) }
        push(to: c)
        openDocuments(on: c)
        c.flush()
        checkCaughtUp(c)
    }

    func connectionClosed(_ c: PeerConnection, reason: PeerError) {
        connections.removeValue(forKey: c.id)
        keepTraffic(of: c)
        releaseHandshakeSlot(c)
        let quiet: Bool
        switch reason {
        case .closedLocally, .peerLeft: quiet = true
        default: quiet = false
        }
        guard c.wasActive || c.info != nil else {
            // A dial that never connected: "connect failed" said why (it was
            // not "closed by the peer"). Only its link may need a redial.
            if let id = c.link, let l = links[id], l.connection === c { l.connection = nil }
            return
        }
        var m = meta(c, ["reason": "\(reason)"])
        m["units_sent"] = "\(c.unitsSent)"
        m["units_received"] = "\(c.unitsReceived)"
        if quiet { logger.info("connection closed", metadata: m) } else { logger.warning("connection closed", metadata: m) }
        if let info = c.info {
            emit(.peerLeft(info, reason: reason))
            // Who is no longer reachable here: the peer itself, and the replicas
            // whose presence came through it — unless still directly connected.
            let departures = presence.connectionClosed(c.id, peer: info.replica) { r in
                connections.values.contains { $0.remote?.replica == r }
            }
            for a in departures { announce(a) }
        } else if c.wasActive {
            emit(.connectionError(address: c.address, reason: reason))
        }
        if let id = c.link, let l = links[id], l.connection === c {
            l.connection = nil
            if c.remote != nil { l.lastKnown = c.known }
            linkDown(l, reason: reason)
        }
    }

    // MARK: Sync (on the loop)

    /// Applies a batch from a peer, emits what was new, and schedules sending it
    /// on. Throws `.badOperation` at the first operation refused (the ones
    /// before it stay applied; the connection is then closed).
    func received(_ ops: [Operation], from c: PeerConnection) throws(PeerError) {
        let ops = authored(ops, in: document, from: c)
        let before = document.version
        let (edits, failure) = PeerHub.apply(ops, to: &document, from: c) { op in
            c.known.cover(op)
            c.ackReplicas.insert(op.replica)
        }
        scheduleAck(c)
        let fresh = document.operations(since: before)
        if !fresh.isEmpty {
            emit(.remoteOperations(fresh, edits: edits))
            scheduleOutbound()
        }
        checkCaughtUp(c)
        if let failure { throw failure }
    }

    /// Applies a batch from `c` to `rga` in order, counting it on `c` and
    /// calling `applied` after each operation; stops at the first refused (the
    /// ones before it stay applied) and returns why. The text edits they made.
    static func apply(_ ops: [Operation], to rga: inout RGA, from c: PeerConnection,
                      applied: (Operation) -> Void) -> (edits: [TextEdit], failure: PeerError?) {
        var edits: [TextEdit] = []
        for op in ops {
            c.opsReceived += 1
            c.unitsReceived += op.length
            do {
                edits += try rga.receive(op)
            } catch let e as OperationError {
                return (edits, .badOperation(e))
            } catch {
                return (edits, .badOperation(.empty(op.replica)))
            }
            applied(op)
        }
        return (edits, nil)
    }

    /// Acknowledges to `c` what arrived from it, once per loop turn (several
    /// frames read at once share one Ack): for each replica those units came
    /// from, how many of its units this replica has applied.
    private func scheduleAck(_ c: PeerConnection) {
        guard !c.ackScheduled, !c.ackReplicas.isEmpty else { return }
        c.ackScheduled = true
        eventLoop.execute { [self] in
            c.ackScheduled = false
            guard c.state == .open else { return }
            var v = VersionVector()
            for r in c.ackReplicas { v[r] = document.seen(r) }
            c.ackReplicas.removeAll()
            c.send(.ack(v))
            c.flush()
        }
    }

    /// The peer on `c` has applied at least `v`.
    func received(ack v: VersionVector, from c: PeerConnection) {
        c.acked = c.acked.merging(v)
        noteAcknowledged(v[replica])
    }

    /// A peer holds `units` of this replica's own units: emits `.acknowledged` when that is news.
    func noteAcknowledged(_ units: UInt32) {
        guard units > ownAcknowledged else { return }
        ownAcknowledged = units
        emit(.acknowledged(own: Int(document.seen(replica)), acknowledged: Int(units)))
    }

    /// Authors and marks from `c` (not from a read-only joiner, whose edits are
    /// declined): kept, and what was new emitted for the session to record.
    func received(_ h: HistoryNote, from c: PeerConnection) {
        if c.readOnly && !c.outbound { return }
        let h = authoredHistory(h, from: c)
        var fresh = HistoryNote()
        for a in h.authors where a.replica != replica && authorCards[a.replica] != a {
            authorCards[a.replica] = a
            fresh.authors.append(a)
        }
        for m in h.marks where marks.insert(m) { fresh.marks.append(m) }
        if !fresh.isEmpty { emit(.history(fresh)) }
    }

    /// (Host) An Ops frame from a read-only link: not applied; answered with
    /// Declined (the link stays open, so the watcher keeps watching).
    func declined(_ ops: [Operation], from c: PeerConnection) {
        let units = ops.reduce(0) { $0 + $1.length }
        c.opsDeclined += ops.count
        logger.warning("edits declined", metadata: meta(c, ["units": "\(units)", "reason": "read-only invitation"]))
        c.send(.declined(Declined(code: .unauthorized, units: UInt64(units), reason: AuthFailure.readOnly.description)))
        c.flush()
    }

    /// (Joiner) the peer did not apply a batch this side sent.
    func received(_ d: Declined, from c: PeerConnection) {
        guard let info = c.info else { return }
        logger.warning("edits declined by the peer", metadata: meta(c, ["units": "\(d.units)", "reason": "\(d.reason)"]))
        emit(.editsDeclined(info, units: Int(clamping: d.units), reason: d.reason))
    }

    /// A presence from `c`: applied by `PresenceTable`'s rules, then emitted
    /// and relayed when it changed something.
    func received(_ p: Presence, from c: PeerConnection) {
        guard presenceAllowed(p, from: c) else { return }
        // A direct, open link to that replica says more than a relayed departure.
        let announcement = presence.received(p, from: c.id) { r in
            connections.values.contains { $0.state == .open && $0.remote?.replica == r }
        }
        if let announcement { announce(announcement) }
    }

    private func checkCaughtUp(_ c: PeerConnection) {
        guard let target = c.catchUpTarget, let info = c.info else { return }
        if target.counts.allSatisfy({ document.seen($0.key) >= $0.value }) {
            c.catchUpTarget = nil
            logger.info("caught up", metadata: meta(c, ["units": "\(target.total)"]))
            emit(.caughtUp(info))
        }
    }

    /// Sends `c` what it is not known to have, in frames of at most
    /// `maxUnitsPerFrame` units, while its channel stays writable. When it is
    /// not, nothing is buffered: the peer stays "behind" (its `known` version
    /// lags) and the rest goes when the channel is writable again — so a slow
    /// reader costs at most the high water mark plus one frame. O(replicas ·
    /// log + what is sent).
    func push(to c: PeerConnection, flush: Bool = true) {
        guard c.state == .open, c.isWritable else { return }
        if !c.behindDocuments.isEmpty {
            for d in c.behindDocuments { pushDocument(d, to: c) }
            if flush { c.flush() }
        }
        let missing = document.operations(since: c.known)
        if c.catchUpPending {
            c.catchUpPending = false
            let units = missing.reduce(0) { $0 + $1.length }
            logger.info("catch-up", metadata: meta(c, ["ops": "\(missing.count)", "units": "\(units)"]))
            configuration.onCatchUp?(units)
        }
        guard !missing.isEmpty else { return }
        var batcher = OpBatcher(missing, maxUnits: configuration.maxUnitsPerFrame)
        while c.isWritable, let batch = batcher.next() {
            sendOps(batch, to: c)
        }
        if flush { c.flush() }
    }

    /// Encodes and writes one batch, halving it while its frame would be too
    /// large; before it, a History frame with the marks of its units and the
    /// author cards `c` has not had yet.
    func sendOps(_ batch: [Operation], to c: PeerConnection) {
        sendOps(batch, of: .main, to: c, marks: marks, authorsSent: &c.authorsSent, known: &c.known)
    }

    /// One batch of `document`'s units (scoped unless it is the main
    /// document), as above; `authorsSent` and `known` are that document's on `c`.
    func sendOps(_ batch: [Operation], of document: DocumentID, to c: PeerConnection, marks: MarkTable,
                 authorsSent: inout Set<ReplicaID>, known: inout VersionVector) {
        func scoped(_ m: Message) -> Message { document == .main ? m : .scoped(document, m) }
        let payload = scoped(.ops(batch)).encode()
        let units = batch.reduce(0) { $0 + $1.length }
        if payload.count > configuration.maxFrameSize / 2 && units > 1 {
            var halves = OpBatcher(batch, maxUnits: (units + 1) / 2)
            while let half = halves.next() {
                sendOps(half, of: document, to: c, marks: marks, authorsSent: &authorsSent, known: &known)
            }
            return
        }
        var note = HistoryNote(marks: marks.marks(covering: batch))
        for op in batch where authorsSent.insert(op.replica).inserted {
            if let card = authorCards[op.replica] { note.authors.append(card) }
        }
        if !note.isEmpty { c.send(scoped(.history(note))) }
        c.sendPayload(payload)
        for op in batch { known.cover(op) }
        c.opsSent += batch.count
        c.unitsSent += units
    }

    /// Asks for an outbound round: on the next loop turn when the last round is
    /// at least `outboundPacing` old, else when it will be. Everything that
    /// arrives before then (frames from many peers, local edits, cursor moves)
    /// goes in that one round. O(1).
    func scheduleOutbound() {
        guard !outboundScheduled else { return }
        outboundScheduled = true
        let due = lastOutbound + configuration.outboundPacing
        if due <= eventLoop.now {
            eventLoop.execute { [self] in sendOutbound() }
        } else {
            eventLoop.scheduleTask(deadline: due) { [self] in sendOutbound() }
        }
    }

    /// One outbound round: to every open connection, what it lacks of the
    /// document, then the presences that changed since the last round (each
    /// encoded once), then one flush. Operations go before presences so a cursor
    /// arrives with (or after) the element it names.
    func sendOutbound(force: Bool = false) {
        guard outboundScheduled || force else { return }
        outboundScheduled = false
        lastOutbound = eventLoop.now
        let presences = pendingPresence.values.map { (except: $0.except, payload: Message.presence($0.presence).encode()) }
        pendingPresence.removeAll(keepingCapacity: true)
        let changed = changedDocuments
        changedDocuments.removeAll(keepingCapacity: true)
        for c in connections.values where c.state == .open {
            push(to: c, flush: false)
            for d in changed { pushDocument(d, to: c) }
            for p in presences where p.except != c.id { c.sendPayload(p.payload) }
            c.flush()
        }
    }

    /// Performs what `PresenceTable` decided: emits at once, and sends it to
    /// every open connection but one in the next outbound round (a newer
    /// presence of the same replica replaces it there).
    private func announce(_ a: PresenceTable.Announcement) {
        if a.emit { emit(.presence(a.presence)) }
        pendingPresence[a.presence.replica] = (a.presence, a.except)
        scheduleOutbound()
    }

    func greeting() -> Greeting {
        Greeting(replica: replica, name: configuration.name, colour: configuration.colour, version: document.version,
                 share: configuration.share)
    }

    // MARK: Links (on the loop)

    private func dial(_ link: OutboundLink) {
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
            .connectTimeout(configuration.handshakeTimeout)
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

    private func linkDown(_ link: OutboundLink, reason: PeerError) {
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

    /// Closes every link whose invitation was revoked (perhaps by `weave revoke`
    /// in another process) or is no longer in the book. An invitation that
    /// expires admits no one from then on, but does not cut the links already
    /// in (they end at their next drop). On the loop.
    func enforceInvitations() {
        guard let book = configuration.security?.invitations else { return }
        if let e = book.refresh() { logger.error("invitations not re-read", metadata: ["error": "\(e)"]) }
        for c in connections.values where c.state == .open {
            guard let id = c.invitationID, case .failure(let why) = book.lookup(id: id), why != .invitationExpired else { continue }
            logger.warning("closing a revoked link", metadata: meta(c, ["reason": "\(why)"]))
            c.refuse(Refusal(code: .unauthorized, text: why.description), error: .unauthorized(why))
        }
    }

    /// (Joiner) the host's user is asked to let this side in.
    func awaitingApproval(_ c: PeerConnection) {
        guard let id = c.link else { return }
        logger.info("waiting for the host's approval", metadata: meta(c))
        emit(.awaitingApproval(LinkID(rawValue: id)))
    }

    private func beginShutdown(_ reason: String) -> EventLoopFuture<RGA> {
        if !closing {
            sendOutbound()  // what was submitted goes before the goodbyes
            closing = true
            revocationSweep?.cancel()
            for (id, a) in admissions { a.answer(false); emit(.approvalWithdrawn(request: id)) }
            admissions.removeAll()
            online = false
            logger.info("shutting down")
            for link in links.values { link.stopped = true; link.retry?.cancel() }
            for c in connections.values { c.leave(reason) }
        }
        var futures = listeners.map { $0.close() }
        listeners.removeAll()
        for c in connections.values { if let ch = c.context?.channel { futures.append(ch.closeFuture) } }
        return EventLoopFuture.andAllComplete(futures, on: eventLoop).map { [self] in document }
    }

    /// The TLS contexts, made once (on the loop).
    @discardableResult
    func tls() throws -> PeerSecurity.Contexts {
        if let tlsContexts { return tlsContexts }
        let identity = try configuration.security?.identity ?? PeerIdentity.generate()
        let contexts = try PeerSecurity.Contexts(identity)
        tlsIdentity = identity
        tlsContexts = contexts
        return contexts
    }

    // MARK: Stats

    func makeStats() -> HubStats {
        let now = eventLoop.now
        let ours = document.version
        var peers: [PeerStats] = []
        for c in connections.values.sorted(by: { $0.id < $1.id }) {
            // A dial not yet answered is the link connecting, not a peer.
            let dialing = c.state != .open && c.outbound
            let link = c.link.flatMap { links[$0] }
            peers.append(PeerStats(
                peer: c.info ?? (dialing ? link?.lastPeer : nil), link: c.link.map(LinkID.init),
                address: dialing ? link.map { "\($0.host):\($0.port)" } ?? c.address : c.address,
                state: c.state == .open ? .connected : (dialing ? .connecting : .handshaking),
                rtt: c.rtt ?? c.handshakeRTT, sinceLastHeard: now - c.lastHeard,
                opsSent: c.opsSent, unitsSent: c.unitsSent, opsReceived: c.opsReceived, unitsReceived: c.unitsReceived,
                unitsQueued: c.state == .open ? ours.unitsAhead(of: c.known) : 0,
                unitsUnacknowledged: c.state == .open ? c.known.unitsAhead(of: c.acked) : 0,
                unitsBehind: c.state == .open ? ours.unitsAhead(of: c.acked) : 0))
        }
        for l in links.values.sorted(by: { $0.id < $1.id }) where l.connection == nil {
            peers.append(PeerStats(
                peer: l.lastPeer, link: LinkID(rawValue: l.id), address: "\(l.host):\(l.port)",
                state: l.stopped ? .stopped : (l.dialing ? .connecting : .offline),
                rtt: nil, sinceLastHeard: nil, opsSent: 0, unitsSent: 0, opsReceived: 0, unitsReceived: 0,
                unitsQueued: l.lastKnown.map { ours.unitsAhead(of: $0) } ?? 0,
                unitsBehind: l.lastKnown.map { ours.unitsAhead(of: $0) } ?? 0))
        }
        return HubStats(online: online, peers: peers, units: ours.total, pendingOperations: document.pendingCount)
    }

    // MARK: Helpers

    func emit(_ e: PeerEvent) { onEvent?(e) }

    private func meta(_ c: PeerConnection, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var m: Logger.Metadata = ["conn": "\(c.id)", "address": "\(c.address)"]
        if let r = c.remote { m["peer"] = "\(r.replica)"; m["name"] = "\(r.name)" }
        if let l = c.link { m["link"] = "\(l)" }
        m.merge(extra) { $1 }
        return m
    }

    static func describe(_ a: SocketAddress) -> String {
        if let ip = a.ipAddress, let port = a.port {
            return a.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        }
        return "\(a)"
    }

    static func wallClockMilliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec / 1_000_000)
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

    /// Maps anything a pipeline throws to a `PeerError`.
    static func peerError(_ error: Error, limit: Int) -> PeerError {
        if let e = error as? PeerError { return e }
        if error is ByteToMessageDecoderError.PayloadTooLargeError {
            return .frameTooLarge(length: UInt64(limit) + 1, limit: limit)
        }
        // The system's sentence, not NIO's dump of the call ("read(descriptor:…) (errno: 104)").
        if let e = error as? IOError { return .io("connection lost: \(String(cString: strerror(e.errnoCode)))") }
        return .io("\(error)")
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
