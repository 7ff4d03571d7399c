import NIOCore
import WeaveCore

/// Outbound pacing: traffic caused by peers goes in rounds at most
/// `Configuration.outboundPacing` apart, each round one flush per connection.
extension PeerHub {
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
    func announce(_ a: PresenceTable.Announcement) {
        if a.emit { emit(.presence(a.presence)) }
        pendingPresence[a.presence.replica] = (a.presence, a.except)
        scheduleOutbound()
    }
}
