import Testing
import WeaveCore
@testable import WeavePeer

/// A relay (`weave serve`) has no cursor: joiners must show none for it (it
/// showed as a phantom cursor named "serve" at Ln 1 on every joiner).
@Suite struct RelayPresenceTests {
    @Test func aPeerWithoutACursorTellsNoPresenceUntilItMovesOne() {
        let me = ReplicaID(1)
        var t = PresenceTable(own: Presence(replica: me, sequence: 10, name: "serve", colour: 0, cursor: nil), hasCursor: false)
        t.checkInvariants()
        #expect(t.presences(for: ReplicaID(2)).isEmpty)
        _ = t.received(Presence(replica: ReplicaID(3), sequence: 4, name: "c", colour: 1, cursor: nil), from: 1) { _ in false }
        #expect(t.presences(for: ReplicaID(2)).map(\.replica) == [ReplicaID(3)], "the others' presences are still relayed")
        _ = t.moveCursor(to: nil)
        #expect(t.presences(for: ReplicaID(2)).map(\.replica) == [me, ReplicaID(3)])
        let normal = PresenceTable(own: Presence(replica: me, sequence: 10, name: "ed", colour: 0, cursor: nil))
        #expect(normal.presences(for: ReplicaID(2)).map(\.replica) == [me], "an editor's cursor at the start is a cursor")
        normal.checkInvariants()
    }

    /// Two peers around a cursorless relay, over loopback: each sees the other's
    /// presence (relayed), none ever hears of the relay's.
    @Test func joinersAroundARelaySeeEachOtherButNoRelayCursor() throws {
        var c = SimPeer.testConfiguration
        c.name = "serve"
        c.showsCursor = false
        let relayEvents = EventLog()
        var doc = RGA(replica: ReplicaID(0x5E))
        doc.insert("relayed", at: 0)
        let relay = PeerHub(document: doc, configuration: c, onEvent: relayEvents.post)
        defer { _ = try? relay.shutdown() }
        let port = try relay.listen(host: "127.0.0.1", port: 0).port!
        let a = SimPeer(replica: 0xA, name: "ana"), b = SimPeer(replica: 0xB, name: "bo")
        defer { _ = try? a.hub.shutdown(); _ = try? b.hub.shutdown() }
        a.hub.connect(host: "127.0.0.1", port: port)
        b.hub.connect(host: "127.0.0.1", port: port)
        #expect(try converge([a, b]))
        a.hub.setCursor(nil)
        b.hub.setCursor(nil)
        func presences(_ p: SimPeer) -> [Presence] {
            p.events.all.compactMap { if case .presence(let x) = $0 { return x } else { return nil } }
        }
        #expect(eventually(10) { presences(a).contains { $0.replica == b.hub.replica } && presences(b).contains { $0.replica == a.hub.replica } })
        a.type("!")
        #expect(try converge([a, b]))
        #expect(!presences(a).contains { $0.replica == relay.replica }, "\(presences(a))")
        #expect(!presences(b).contains { $0.replica == relay.replica }, "\(presences(b))")
        // The relay is still named by its greeting.
        #expect(a.events.all.contains { if case .peerJoined(let i) = $0 { return i.name == "serve" } else { return false } })
    }
}
