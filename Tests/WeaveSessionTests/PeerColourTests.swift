import Testing
import WeaveCore
import WeaveTestSupport
import WeaveEditor
@testable import WeaveSession

/// Peers on one screen are drawn in different colours (issue 37): joiners pick
/// their colour at random, and two picking the same must still be told apart.
@Suite struct PeerColourTests {
    @Test func twoPeersWhoChoseTheSameColourAreToldApart() {
        let c = PeerLink.distinctColours([ReplicaID(7): 2, ReplicaID(3): 2])
        #expect(c[ReplicaID(3)] == Grid.Colour.author(2), "the first by replica keeps its choice")
        #expect(c[ReplicaID(7)] != c[ReplicaID(3)])
    }

    /// Random choices for up to the palette's size: all different, every
    /// colour one of the 8 basic ones, and a peer whose choice is free keeps it.
    @Test(arguments: [UInt64(37), 8, 256])
    func randomChoicesAreDistinct(fixed: UInt64) {
        let seed = TestSeed.pick(fixed)
        var rng = SeededRandom(seed: seed)
        let n = Grid.Colour.authorPalette.count
        for _ in 0 ..< 200 {
            var wanted: [ReplicaID: UInt8] = [:]
            for _ in 0 ..< rng.int(1 ... n) { wanted[ReplicaID(UInt64(rng.int(0 ..< 1_000_000)))] = UInt8(rng.int(0 ..< 12)) }
            let c = PeerLink.distinctColours(wanted)
            #expect(Set(c.values).count == wanted.count, "seed \(seed): \(wanted) -> \(c)")
            #expect(c.values.allSatisfy { $0.rawValue > 0 && $0.rawValue < 8 }, "seed \(seed)")
            let lowest = wanted.keys.min()!
            #expect(c[lowest] == Grid.Colour.author(Int(wanted[lowest]!)), "seed \(seed): the first keeps its choice")
        }
    }

    @Test func morePeersThanColoursStillGetAColourEach() {
        let n = Grid.Colour.authorPalette.count
        var wanted: [ReplicaID: UInt8] = [:]
        for i in 0 ..< n + 2 { wanted[ReplicaID(UInt64(i))] = 0 }
        let c = PeerLink.distinctColours(wanted)
        #expect(c.count == n + 2)
        #expect(Set(c.values).count == n, "every colour used once the palette is exhausted")
    }
}
