import Testing
import WeaveCore
@testable import WeavePeer

/// The presence rules without channels: which presence is current, when a
/// departure counts, and who departs when a connection closes.
@Suite struct PresenceTableTests {
    static let me = ReplicaID(1), b = ReplicaID(2), c = ReplicaID(3), d = ReplicaID(4)

    static func table() -> PresenceTable {
        PresenceTable(own: Presence(replica: me, sequence: 1000, name: "me", colour: 1, cursor: nil))
    }

    static func p(_ r: ReplicaID, _ sequence: UInt64, cursor: UInt32? = nil, departed: Bool = false) -> Presence {
        Presence(replica: r, sequence: sequence, name: "r\(r.rawValue)", colour: 2,
                 cursor: cursor.map { ElementID(counter: $0, replica: r) }, departed: departed)
    }

    /// Applies `p` from `connection` with no replica directly connected, checking the invariants.
    @discardableResult
    static func receive(_ t: inout PresenceTable, _ p: Presence, from connection: Int,
                        direct: Set<ReplicaID> = []) -> PresenceTable.Announcement? {
        let a = t.received(p, from: connection) { direct.contains($0) }
        t.checkInvariants()
        return a
    }

    @Test func aNewerPresenceReplacesAnOlderOneAndIsRelayedToTheOthers() {
        var t = Self.table()
        #expect(Self.receive(&t, Self.p(Self.b, 5, cursor: 1), from: 7) == .init(presence: Self.p(Self.b, 5, cursor: 1), emit: true, except: 7))
        #expect(Self.receive(&t, Self.p(Self.b, 6, cursor: 2), from: 8) != nil)
        #expect(t.presences[Self.b]?.cursor?.counter == 2)
        #expect(t.via[Self.b] == 8, "the route follows the latest presence")
    }

    @Test func staleAndRepeatedPresencesAreIgnored() {
        var t = Self.table()
        Self.receive(&t, Self.p(Self.b, 5, cursor: 1), from: 7)
        #expect(Self.receive(&t, Self.p(Self.b, 4, cursor: 9), from: 8) == nil)
        #expect(Self.receive(&t, Self.p(Self.b, 5, cursor: 9), from: 8) == nil, "same sequence: already seen")
        #expect(t.presences[Self.b]?.cursor?.counter == 1)
        #expect(t.via[Self.b] == 7)
    }

    @Test func thisReplicasOwnPresenceIsNeverTakenFromOutside() {
        var t = Self.table()
        #expect(Self.receive(&t, Self.p(Self.me, 5000, cursor: 3), from: 7) == nil)
        #expect(Self.receive(&t, Self.p(Self.me, 5000, departed: true), from: 7) == nil)
        #expect(t.own.sequence == 1000 && t.own.cursor == nil)
        #expect(t.via[Self.me] == nil)
    }

    @Test func aDepartureRemovesThePresenceItNamesOrAnOlderOne() {
        var t = Self.table()
        Self.receive(&t, Self.p(Self.b, 5), from: 7)
        let a = Self.receive(&t, Self.p(Self.b, 5, departed: true), from: 8)
        #expect(a == .init(presence: Self.p(Self.b, 5, departed: true), emit: true, except: 8))
        #expect(t.presences[Self.b] == nil && t.via[Self.b] == nil)
        #expect(t.departedSequence[Self.b] == 5)
        Self.receive(&t, Self.p(Self.c, 3), from: 7)
        #expect(Self.receive(&t, Self.p(Self.c, 9, departed: true), from: 7) != nil, "a later departure ends it too")
        #expect(t.presences[Self.c] == nil)
    }

    @Test func aDepartureOlderThanTheCurrentPresenceIsIgnored() {
        var t = Self.table()
        Self.receive(&t, Self.p(Self.b, 5), from: 7)
        #expect(Self.receive(&t, Self.p(Self.b, 4, departed: true), from: 8) == nil)
        #expect(t.presences[Self.b]?.sequence == 5)
        #expect(t.departedSequence[Self.b] == nil)
    }

    @Test func aDepartureOfAnAbsentOrDirectlyConnectedReplicaIsIgnored() {
        var t = Self.table()
        #expect(Self.receive(&t, Self.p(Self.b, 5, departed: true), from: 7) == nil, "never present")
        #expect(t.departedSequence[Self.b] == nil)
        Self.receive(&t, Self.p(Self.c, 5), from: 7)
        #expect(Self.receive(&t, Self.p(Self.c, 6, departed: true), from: 8, direct: [Self.c]) == nil,
                "its own link says more than a relayed departure")
        #expect(t.presences[Self.c]?.sequence == 5)
    }

    @Test func aPresenceOlderThanADepartureIsIgnoredButTheSameSequenceComesBack() {
        var t = Self.table()
        Self.receive(&t, Self.p(Self.b, 5), from: 7)
        Self.receive(&t, Self.p(Self.b, 8, departed: true), from: 7)
        #expect(Self.receive(&t, Self.p(Self.b, 7), from: 9) == nil, "sent before it left")
        #expect(t.presences[Self.b] == nil)
        // A peer that comes back without moving its cursor resends its last sequence.
        #expect(Self.receive(&t, Self.p(Self.b, 8), from: 9) != nil)
        #expect(t.presences[Self.b]?.sequence == 8 && t.via[Self.b] == 9)
    }

    @Test func closingAConnectionDepartsEveryReplicaThatCameThroughIt() {
        var t = Self.table()
        Self.receive(&t, Self.p(Self.b, 5), from: 7)   // the peer at the other end of 7
        Self.receive(&t, Self.p(Self.c, 6), from: 7)   // reached through it
        Self.receive(&t, Self.p(Self.d, 7), from: 8)   // reached through another connection
        let out = t.connectionClosed(7, peer: Self.b) { _ in false }
        t.checkInvariants()
        #expect(out == [
            .init(presence: Self.p(Self.b, 5, departed: true), emit: false, except: nil),  // the hub reports the peer leaving
            .init(presence: Self.p(Self.c, 6, departed: true), emit: true, except: nil),
        ])
        #expect(t.presences.keys.sorted() == [Self.me, Self.d])
        #expect(t.departedSequence == [Self.b: 5, Self.c: 6])
        // Their presences from before the departure are stale from now on.
        #expect(Self.receive(&t, Self.p(Self.c, 5), from: 8) == nil)
    }

    @Test func closingAConnectionSparesDirectlyConnectedAndRerouted() {
        var t = Self.table()
        Self.receive(&t, Self.p(Self.c, 6), from: 7)
        Self.receive(&t, Self.p(Self.d, 6), from: 7)
        Self.receive(&t, Self.p(Self.d, 7), from: 8)   // d's latest now comes through 8
        let out = t.connectionClosed(7, peer: Self.b) { $0 == Self.c }  // c also has its own link
        t.checkInvariants()
        #expect(out.isEmpty, "b had no presence here; c is directly connected; d is reached through 8")
        #expect(t.presences.keys.sorted() == [Self.me, Self.c, Self.d])
        #expect(t.via[Self.c] == 7, "the route is kept until a newer presence replaces it")
    }

    @Test func movingTheCursorTakesTheNextSequenceAndGoesToEveryPeer() {
        var t = Self.table()
        let cursor = ElementID(counter: 4, replica: Self.b)
        let a = t.moveCursor(to: cursor)
        t.checkInvariants()
        #expect(a == .init(presence: Presence(replica: Self.me, sequence: 1001, name: "me", colour: 1, cursor: cursor),
                           emit: false, except: nil))
        #expect(t.moveCursor(to: nil).presence.sequence == 1002)
        #expect(t.own.cursor == nil)
    }

    @Test func aNewPeerIsToldEveryPresenceButItsOwn() {
        var t = Self.table()
        Self.receive(&t, Self.p(Self.b, 5), from: 7)
        Self.receive(&t, Self.p(Self.c, 6), from: 7)
        #expect(t.presences(for: Self.b).map(\.replica) == [Self.me, Self.c])
        #expect(t.presences(for: Self.d).map(\.replica) == [Self.me, Self.b, Self.c])
    }
}
