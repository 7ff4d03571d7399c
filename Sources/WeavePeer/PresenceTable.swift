import WeaveCore

/// Who is in the session and where their cursors are, as one hub sees it: the
/// rules that decide which presence is current, with no channel in sight.
///
/// Connections are named by the hub's connection numbers. Each method changes
/// the table and returns the `Announcement`s the hub must make; the hub sends
/// them and emits them, and nothing else. The rules (docs/WIRE.md, Presence):
/// - a replica's presence is replaced only by one with a higher sequence;
/// - a departure (`Presence.departed`) ends the presence of the same or a lower
///   sequence, unless that replica is directly connected here; from then on its
///   presences older than the departure are stale (the same sequence is not: a
///   peer that comes back without moving its cursor resends it);
/// - when a connection closes, every replica whose latest presence came through
///   it departs, and the peer at its other end too, unless directly connected
///   by another connection;
/// - this replica's own presence is never replaced from outside.
///
/// Invariants (`checkInvariants()`): this replica's presence is always there;
/// every replica with a route has a presence; this replica has no route.
struct PresenceTable: Sendable {
    /// Something the hub must tell: send `presence` on every open connection but
    /// `except` (nil: all), and emit it as `PeerEvent.presence` when `emit`.
    struct Announcement: Hashable, Sendable {
        var presence: Presence
        var emit: Bool
        var except: Int?
    }

    /// The replica this hub edits as.
    let local: ReplicaID
    /// The latest presence of every replica heard of, this one's included.
    private(set) var presences: [ReplicaID: Presence]
    /// The connection each other replica's latest presence came through.
    private(set) var via: [ReplicaID: Int] = [:]
    /// The sequence of the last departure heard of each replica.
    private(set) var departedSequence: [ReplicaID: UInt64] = [:]

    /// A table holding only this replica's presence `own` (cursor at the start
    /// unless `own` says otherwise). Its sequence should start at the wall clock
    /// in milliseconds, so that a restarted peer's presences are newer.
    init(own: Presence, hasCursor: Bool = true) {
        local = own.replica
        presences = [own.replica: own]
        ownHasCursor = hasCursor
    }

    /// Whether this replica has a cursor to show: false for a headless peer
    /// (`weave serve`) until it moves one. Without it, its presence is not
    /// told to peers (they learn its name from the greeting), so no phantom
    /// cursor appears at the document start.
    private(set) var ownHasCursor: Bool

    /// This replica's presence.
    var own: Presence { presences[local]! }

    /// Moves this replica's cursor (nil: the document start) with the next
    /// sequence. Returns the announcement for every peer (not emitted: the
    /// local user moved it). O(1).
    mutating func moveCursor(to element: ElementID?, selection: Presence.SelectionEnd? = nil, document: DocumentID = .main) -> Announcement {
        var p = own
        p.sequence += 1
        p.cursor = element
        p.selection = selection
        p.document = document
        presences[local] = p
        ownHasCursor = true
        return Announcement(presence: p, emit: false, except: nil)
    }

    /// What a peer that just finished its handshake is told: every presence
    /// but its own (and this replica's while it has no cursor). O(replicas).
    func presences(for peer: ReplicaID) -> [Presence] {
        presences.values.filter { $0.replica != peer && ($0.replica != local || ownHasCursor) }.sorted { $0.replica < $1.replica }
    }

    /// A presence `p` arrived on `connection`. Returns the announcement (emit it,
    /// relay it to every other connection), or nil when it changes nothing:
    /// it is this replica's own, not newer than the current one, older than the
    /// replica's departure, or a departure of a replica that
    /// `isDirectlyConnected` (its own link says more than a relayed departure)
    /// or of one not present. O(1) plus one `isDirectlyConnected` call.
    mutating func received(_ p: Presence, from connection: Int,
                           isDirectlyConnected: (ReplicaID) -> Bool) -> Announcement? {
        guard p.replica != local else { return nil }
        if p.departed {
            guard let current = presences[p.replica], current.sequence <= p.sequence,
                  !isDirectlyConnected(p.replica) else { return nil }
            departedSequence[p.replica] = p.sequence
            presences.removeValue(forKey: p.replica)
            via.removeValue(forKey: p.replica)
        } else {
            if let current = presences[p.replica], current.sequence >= p.sequence { return nil }
            if let gone = departedSequence[p.replica], p.sequence < gone { return nil }
            presences[p.replica] = p
            via[p.replica] = connection
        }
        return Announcement(presence: p, emit: true, except: connection)
    }

    /// `connection`, whose peer was `peer`, closed. Every replica whose
    /// presence came through it, and `peer` itself when present, departs unless
    /// `isDirectlyConnected` (by another connection). Returns one departure per
    /// replica gone, in replica order, each for every connection; `peer`'s own
    /// is not emitted (the hub reports the peer leaving instead). O(replicas).
    mutating func connectionClosed(_ connection: Int, peer: ReplicaID,
                                   isDirectlyConnected: (ReplicaID) -> Bool) -> [Announcement] {
        var gone = Set(via.filter { $0.value == connection }.map(\.key))
        if presences[peer] != nil { gone.insert(peer) }
        var out: [Announcement] = []
        for r in gone.sorted() where r != local && !isDirectlyConnected(r) {
            let last = presences.removeValue(forKey: r)
            via.removeValue(forKey: r)
            let p = Presence(replica: r, sequence: last?.sequence ?? 0, name: last?.name ?? "", colour: last?.colour ?? 0,
                             cursor: nil, departed: true)
            departedSequence[r] = p.sequence
            out.append(Announcement(presence: p, emit: r != peer, except: nil))
        }
        return out
    }

    /// Traps when an invariant (see the type's comment) does not hold. For tests.
    func checkInvariants() {
        precondition(presences[local] != nil, "this replica's presence is missing")
        precondition(via[local] == nil, "this replica has a route")
        for r in via.keys { precondition(presences[r] != nil, "replica \(r) has a route but no presence") }
        for (r, p) in presences { precondition(p.replica == r && !p.departed, "presence of \(r) misfiled or departed") }
    }
}
