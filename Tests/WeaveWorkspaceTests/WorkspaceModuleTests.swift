import Testing
import WeaveCore
@testable import WeaveWorkspace

@Suite struct DocumentIDTests {
    @Test func hexRoundTrips() {
        var g = SystemRandomNumberGenerator()
        for _ in 0 ..< 100 {
            let d = DocumentID.random(using: &g)
            #expect(d != .main)
            #expect(DocumentID(hex: d.description) == d)
            #expect(d.description.count == 16)
        }
        #expect(DocumentID(hex: "xyz") == nil)
        #expect(DocumentID(hex: "") == nil)
    }
}
