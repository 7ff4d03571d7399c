import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveWorkspace

@Suite struct DocumentIDTests {
    @Test func hexRoundTrips() {
        let seed = TestSeed.pick(0x1D)
        var g = SeededRandom(seed: seed)
        for _ in 0 ..< 100 {
            let d = DocumentID.random(using: &g)
            #expect(d != .main)
            #expect(DocumentID(hex: d.description) == d, "seed \(seed)")
            #expect(d.description.count == 16)
        }
        #expect(DocumentID(hex: "xyz") == nil)
        #expect(DocumentID(hex: "") == nil)
    }
}
