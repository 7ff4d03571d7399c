import NIOCore
import WeaveCore

/// Sync health: every connection's and outbound link's counts and state (`HubStats`).
extension PeerHub {
    /// Sync health of every connection and outbound link.
    public func stats() -> EventLoopFuture<HubStats> {
        eventLoop.submit { [self] in makeStats() }
    }

    /// `stats()`, waited for. Blocks.
    public func currentStats() throws -> HubStats { try stats().wait() }

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
}
