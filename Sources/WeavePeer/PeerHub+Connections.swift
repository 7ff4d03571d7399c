import Logging
import NIOCore
import WeaveCore
import WeaveHistory

/// A connection's life on the hub: the handlers installed on its channel, and what
/// the hub does when it becomes active, completes its handshake, and closes.
extension PeerHub {
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
            let card = Author(replica: remote.replica, name: remote.name, colour: Int(remote.colour))
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
}
