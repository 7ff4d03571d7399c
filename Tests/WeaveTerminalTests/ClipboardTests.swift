import Foundation
import Testing
import WeaveTestSupport
@testable import WeaveTerminal

/// OSC 52's payload: standard base64 with padding, as Foundation writes it.
struct ClipboardTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func base64MatchesFoundation(seed fixed: UInt64) {
        let seed = TestSeed.pick(fixed)
        var g = SeededRandom(seed: seed)
        for n in 0 ..< 200 {
            let bytes = (0 ..< (n % 7 == 0 ? n : g.int(0 ..< 40))).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            #expect(Terminal.base64(bytes) == Data(bytes).base64EncodedString(), "seed \(seed), \(bytes)")
        }
        #expect(Terminal.base64(Array("join".utf8)) == "am9pbg==")
    }
}
