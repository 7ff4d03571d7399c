import NIOCore

/// Sync health of one connection or link, for the peer list.
public struct PeerStats: Sendable {
    public enum State: String, Sendable {
        case handshaking, connected, connecting
        /// An outbound link waiting to retry (or paused while offline).
        case offline
        /// An outbound link that gave up (refused for good).
        case stopped
    }
    /// Who, once the handshake is done (for an offline link: who it was).
    public var peer: PeerInfo?
    public var link: LinkID?
    public var address: String
    public var state: State
    /// The last Ping's round trip.
    public var rtt: TimeAmount?
    public var sinceLastHeard: TimeAmount?
    public var opsSent: Int
    public var unitsSent: Int
    public var opsReceived: Int
    public var unitsReceived: Int
    /// Units this replica has that the peer is not known to have: waiting for
    /// the channel to drain, or (offline link) for the reconnection.
    public var unitsQueued: Int
    /// Units sent to the peer that it has not acknowledged yet (in flight, or
    /// received but still waiting in its causal buffer).
    public var unitsUnacknowledged = 0
    /// How far behind this replica the peer is: the units this replica holds
    /// that the peer has not acknowledged (waiting to be sent plus in flight).
    public var unitsBehind = 0
}

/// Sync health of the hub.
public struct HubStats: Sendable {
    public var online: Bool
    public var peers: [PeerStats]
    /// Units in the document (its version's total).
    public var units: Int
    /// Operations waiting in the causal buffer.
    public var pendingOperations: Int
}
