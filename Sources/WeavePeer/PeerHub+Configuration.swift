import Logging
import NIOCore
import WeaveCore

/// A hub's tunables (`PeerHub.Configuration`: frame and batch limits, handshake and
/// liveness clocks, backoff, pacing, TLS, what is shared), and the write-buffer
/// water mark every channel is given from them.
extension PeerHub {
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
        /// How long a dial waits for the TCP connection itself (the SYN's
        /// answer) before it fails and the link backs off to redial. Separate
        /// from, and shorter than, the handshake clocks above: after an outage
        /// a SYN sent into the dead network is retransmitted only after 1 s,
        /// then 3 s, so waiting longer only delays the redial that would
        /// succeed, while a slow but working link answers a SYN within one
        /// round trip.
        public var connectTimeout: TimeAmount = .milliseconds(2500)
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

    var waterMark: ChannelOptions.Types.WriteBufferWaterMark {
        .init(low: configuration.writeBufferLowWaterMark, high: configuration.writeBufferHighWaterMark)
    }
}
