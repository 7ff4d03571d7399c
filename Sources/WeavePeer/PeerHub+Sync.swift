import Logging
import NIOCore
import WeaveCore

/// Keeping peers in sync: applying what arrives (operations, history, presences,
/// refusals), acknowledging it, and pushing each peer what it lacks in frames.
extension PeerHub {
    /// Applies a batch from a peer, emits what was new, and schedules sending it
    /// on. Throws `.badOperation` at the first operation refused (the ones
    /// before it stay applied; the connection is then closed).
    func received(_ ops: [Operation], from c: PeerConnection) throws(PeerError) {
        let ops = authored(ops, in: document, from: c)
        let before = document.version
        let (edits, failure) = PeerHub.apply(ops, to: &document, from: c) { op in
            c.known.cover(op)
            // The peer holds what it sent: it is neither unacknowledged nor
            // behind on it (F4's figures counted a typist's own keys as both).
            c.acked.cover(op)
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

    func checkCaughtUp(_ c: PeerConnection) {
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

    func greeting() -> Greeting {
        Greeting(replica: replica, name: configuration.name, colour: configuration.colour, version: document.version,
                 share: configuration.share)
    }

    /// How many of this replica's own units exist and how many a peer has
    /// acknowledged (docs/WIRE.md, "Acknowledgements").
    public func delivery() -> EventLoopFuture<Delivery> {
        eventLoop.submit { [self] in Delivery(own: Int(document.seen(replica)), acknowledged: Int(ownAcknowledged)) }
    }

    /// `delivery()`, waited for. Blocks (not on the hub's loop).
    public func currentDelivery() throws -> Delivery { try delivery().wait() }
}
