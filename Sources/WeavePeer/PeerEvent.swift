#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import NIOCore
import WeaveCore

/// A connected peer, as the UI shows it.
public struct PeerInfo: Hashable, Sendable {
    /// Identifies the connection (not the peer: a peer that reconnects gets a new one).
    public var connection: Int
    public var replica: ReplicaID
    public var name: String
    public var colour: UInt8
    /// "host:port" of the other end.
    public var address: String
    /// True when this side connected (a link it will re-establish), false when it accepted.
    public var outbound: Bool
    /// The link was admitted with a read-only invitation. Host side: the
    /// peer's edits are declined (`Message.declined`); joiner side: the host
    /// said so in its Accept, and this side should not edit.
    public var readOnly = false
    /// The peer's certificate fingerprint (hex) on a TLS link; nil on a plaintext one.
    public var fingerprint: String?
    /// What the peer shares (its greeting's): one file, or a folder with its workspace ID.
    public var share: Greeting.Share = .file
}

/// How much of a replica's own editing its peers hold (`PeerHub.delivery`).
public struct Delivery: Hashable, Sendable {
    /// Units this replica made (every character typed or deleted is one).
    public var own: Int
    /// Of those, how many a peer has acknowledged (it applied them).
    public var acknowledged: Int
    /// Units no peer has acknowledged yet: lost if this replica ends now without a history.
    public var pending: Int { max(0, own - acknowledged) }

    public init(own: Int, acknowledged: Int) {
        self.own = own
        self.acknowledged = acknowledged
    }
}

/// Identifies an outbound link made by `PeerHub.connect`.
public struct LinkID: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int
    public var description: String { "link \(rawValue)" }
}

/// What the hub tells the UI. Delivered in order, from the hub's event loop
/// (see `PeerHub.init(onEvent:)` and `PeerInbox`).
public enum PeerEvent: Sendable {
    /// Operations from peers that this replica had not seen, in an order that
    /// applies causally, and the text edits they made to the hub's document.
    /// An editor that keeps its own replica applies `ops` to it (for example
    /// `Editor.receive(_:)`, which computes its own edits); a read-only view may
    /// apply `edits` to a text equal to the hub's.
    case remoteOperations([Operation], edits: [TextEdit])
    /// The same for one document of a shared folder (`PeerHub.addDocument`).
    case documentOperations(DocumentID, [Operation], edits: [TextEdit])
    /// Authors and edit marks for one document of a shared folder (as `history`).
    case documentHistory(DocumentID, HistoryNote)
    /// This side now holds everything a peer held of the document when it
    /// opened it (the document's catch-up is complete).
    case documentCaughtUp(DocumentID)
    /// A peer's name, colour or cursor changed (direct or forwarded).
    case presence(Presence)
    /// A handshake completed: the peer is connected.
    case peerJoined(PeerInfo)
    /// This replica has everything the peer had when it connected.
    case caughtUp(PeerInfo)
    /// A connection that had completed its handshake closed.
    case peerLeft(PeerInfo, reason: PeerError)
    /// An outbound link is dialling (attempt 1, 2, …).
    case connecting(LinkID, address: String, attempt: Int)
    /// An outbound link failed and will try again after `delay`.
    case retrying(LinkID, delay: TimeAmount, reason: PeerError)
    /// An outbound link stopped for good (refused by a peer that will always refuse it).
    case linkFailed(LinkID, reason: PeerError)
    /// A connection failed before or during its handshake, or with an error.
    case connectionError(address: String, reason: PeerError)
    /// `PeerHub.setOnline` took effect.
    case onlineChanged(Bool)
    /// (Host with `PeerSecurity.requireApproval`) an invited newcomer waits to
    /// be let in: answer with `PeerHub.answer(newcomer.request, allow:)`.
    case approvalRequested(Newcomer)
    /// That newcomer left, or its time ran out, before an answer.
    case approvalWithdrawn(request: Int)
    /// (Joiner) the host's user is being asked to let this side in.
    case awaitingApproval(LinkID)
    /// A peer acknowledged more of this replica's own units: `acknowledged`
    /// of the `own` units made here are held by a peer (see `PeerHub.delivery`).
    case acknowledged(own: Int, acknowledged: Int)
    /// The peer did not apply a batch of this side's edits (`units` units): a
    /// read-only link. The link stays open; the peer's edits still arrive.
    case editsDeclined(PeerInfo, units: Int, reason: String)
    /// Authors and edit boundaries new to this hub, received just before the
    /// operations they describe (the `remoteOperations` that follow): record
    /// those operations as these edits, credited to these names.
    case history(HistoryNote)
}

/// A thread-safe queue of `PeerEvent`s with a wake-up file descriptor, for a UI
/// that blocks in `poll()` on stdin and `fileDescriptor`:
///
/// ```swift
/// let inbox = try PeerInbox()
/// let hub = PeerHub(document: rga, configuration: config, onEvent: inbox.post)
/// // UI loop: poll([stdin, inbox.fileDescriptor], -1), then
/// for event in inbox.drain() { … }
/// ```
///
/// `post` appends and writes one byte to a pipe when the queue goes from empty
/// to non-empty; `drain` empties the pipe, then takes the queue. A wake-up with
/// nothing queued can happen and is harmless; an event is never left queued
/// without a byte in the pipe.
public final class PeerInbox: Sendable {
    private let queue = NIOLockedValueBox<[PeerEvent]>([])
    /// The read end of the wake-up pipe: readable when events are queued. Non-blocking.
    public let fileDescriptor: Int32
    private let writeEnd: Int32

    /// Makes the pipe. Throws `PeerError.io` when the system refuses.
    public init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw PeerError.io("pipe failed: \(String(cString: strerror(errno)))") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        fileDescriptor = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        close(fileDescriptor)
        close(writeEnd)
    }

    /// Queues an event; safe from any thread. O(1) amortised.
    @Sendable public func post(_ event: PeerEvent) {
        let wasEmpty = queue.withLockedValue { q in
            let empty = q.isEmpty
            q.append(event)
            return empty
        }
        if wasEmpty {
            var one: UInt8 = 1
            while write(writeEnd, &one, 1) < 0 && errno == EINTR {}
        }
    }

    /// Every queued event, oldest first; empties the queue and the pipe. Never blocks.
    public func drain() -> [PeerEvent] {
        var sink = [UInt8](repeating: 0, count: 64)
        while true {
            let n = sink.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress, $0.count) }
            if n > 0 { continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        return queue.withLockedValue { q in
            let out = q
            q.removeAll()
            return out
        }
    }

    /// Number of queued events. O(1).
    public var count: Int { queue.withLockedValue { $0.count } }
}
