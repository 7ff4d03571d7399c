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
import WeaveHistory

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
///
/// This file holds the hub's state, its creation, the editor-facing calls and
/// shutdown; each other concern is in `PeerHub+<Concern>.swift`: Configuration,
/// Admission, Connections, Sync, Outbound (pacing), Dialing (and backoff),
/// Invitations (enforcement), Stats, Metrics, Documents (a shared folder's
/// files) and Authorship (who may bring which replica's units).
public final class PeerHub: @unchecked Sendable {
    public let configuration: Configuration
    public let eventLoop: EventLoop
    /// The replica this peer edits as (the document's).
    public let replica: ReplicaID
    private let ownedGroup: EventLoopGroup?
    private let onEvent: (@Sendable (PeerEvent) -> Void)?
    let linkIDs = NIOLockedValueBox(0)
    var logger: Logger { configuration.logger }

    // MARK: State confined to `eventLoop`

    var document: RGA
    var connections: [Int: PeerConnection] = [:]
    var nextConnection = 1
    var links: [Int: OutboundLink] = [:]
    var listeners: [Channel] = []
    private(set) var online = true
    private(set) var closing = false
    /// Every replica's presence and the rules for replacing it.
    var presence: PresenceTable
    var rng = SystemRandomNumberGenerator()
    /// TLS contexts, made at the first TLS link (loop-confined).
    var tlsContexts: PeerSecurity.Contexts?
    var tlsIdentity: PeerIdentity?
    /// Newcomers waiting for the user's answer, by request number.
    var admissions: [Int: (key: String, answer: (Bool) -> Void)] = [:]
    var nextAdmission = 1
    /// Keys the user let in during this run (their reconnections are not asked again).
    var admittedKeys: Set<String> = []
    /// Re-reads the invitations and closes revoked links (TLS hosts).
    var revocationSweep: RepeatedTask?
    /// Where each replica's edits begin and end, with their times: sent with the
    /// units they describe (docs/WIRE.md, "History").
    var marks = MarkTable()
    /// Every author's name and colour known here (this replica's own included).
    var authorCards: [ReplicaID: Author] = [:]
    /// Handshake slots in use, and accepted connections waiting for one (FIFO).
    var handshakeSlots = 0
    var waitingForHandshake: [PeerConnection] = []
    /// Presences waiting for the next outbound round, one per replica (the
    /// latest), with the connection it came from (not sent back there).
    var pendingPresence: [ReplicaID: (presence: Presence, except: Int?)] = [:]
    var outboundScheduled = false
    var lastOutbound = NIODeadline.distantPast
    /// The most of this replica's own units any peer has acknowledged
    /// (its greeting or an Ack): they are safe from this peer's quitting.
    var ownAcknowledged: UInt32 = 0
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
        authorCards[replica] = Author(replica: replica, name: configuration.name, colour: Int(configuration.colour))
    }

    // MARK: Public API

    /// What this replica's history already knows, so that peers get it with the
    /// units (call before `connect`/`listen`; later calls add to it): authors,
    /// and the edits' boundaries and times (`EditMark`; the first mark stated
    /// for a unit wins). Returns at once.
    public func addHistory(authors: [Author], marks: [EditMark]) {
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

    /// Runs `body` on the hub's loop with its document.
    public func withDocument<T: Sendable>(_ body: @escaping @Sendable (RGA) -> T) -> EventLoopFuture<T> {
        eventLoop.submit { [self] in body(document) }
    }

    /// A copy of the document (copy-on-write: O(1) until either side changes). Blocks.
    public func snapshot() throws -> RGA { try withDocument { $0 }.wait() }

    /// Says Bye to every peer, closes every connection and listener, stops the
    /// loop if the hub owns it, and returns the final document. Blocks. Idempotent
    /// until the loop is gone; do not use the hub afterwards.
    @discardableResult
    public func shutdown(saying reason: String = "shutting down") throws -> RGA {
        let document = try eventLoop.flatSubmit { [self] in beginShutdown(reason) }.wait()
        if let ownedGroup { try ownedGroup.syncShutdownGracefully() }
        return document
    }

    // MARK: Shutdown (on the loop)

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

    // MARK: Helpers

    func emit(_ e: PeerEvent) { onEvent?(e) }

    func meta(_ c: PeerConnection, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
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
