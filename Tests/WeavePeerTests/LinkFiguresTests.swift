import Testing
import WeaveCore
@testable import WeavePeer

/// F4's per-peer figures on a real loopback link (issue 35): what one side
/// says it has not sent, not had acknowledged, and how far behind the other is.
@Suite(.serialized) struct LinkFiguresTests {
    /// Only b types. Once it has all arrived, a counts nothing queued,
    /// unacknowledged or behind for b (b holds what it typed itself; found by
    /// hand: the host's F4 showed a typist 15 behind its own 15 keys), and b
    /// counts nothing for a once a has acknowledged.
    @Test func aTypistIsNotBehindOnItsOwnEdits() throws {
        let a = SimPeer(replica: 0xA, name: "a"), b = SimPeer(replica: 0xB, name: "b")
        defer { for p in [a, b] { _ = try? p.hub.shutdown() } }
        b.hub.connect(host: "127.0.0.1", port: try a.listen())
        #expect(try eventually(10) { try a.hub.currentStats().peers.first?.state == .connected })
        b.type("hello from b")
        #expect(try converge([a, b]))
        func figures(_ p: SimPeer) throws -> [Int] {
            guard let s = try p.hub.currentStats().peers.first else { return [-1] }
            return [s.unitsQueued, s.unitsUnacknowledged, s.unitsBehind]
        }
        #expect(try eventually(10) { try figures(a) == [0, 0, 0] }, "a about b: \((try? figures(a)) ?? []) (queued, unacked, behind)")
        #expect(try eventually(10) { try figures(b) == [0, 0, 0] }, "b about a: \((try? figures(b)) ?? [])")
        // Now a types: until b acknowledges, a may count it; afterwards nothing.
        a.type("and from a")
        #expect(try converge([a, b]))
        #expect(try eventually(10) { try figures(a) == [0, 0, 0] && (try figures(b)) == [0, 0, 0] },
                "a: \((try? figures(a)) ?? []), b: \((try? figures(b)) ?? [])")
    }
}
