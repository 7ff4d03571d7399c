import Testing
import WeaveDemo
import WeaveEditor

/// The demo's words (issue 33's polish): every narration line fits an
/// 80-column banner, the backward and deleted-range scenarios say what the
/// merge shows and why, and the demo's help lists the demo's keys.
struct DemoNarrationTests {
    static func said(_ scenario: DemoScenario, peers: Int) -> [String] {
        DemoScript.make(scenario, peers: peers).compactMap { if case .say(let s) = $0 { return s } else { return nil } }
    }

    @Test(arguments: DemoScenario.allCases) func everyLineFitsTheBanner(_ scenario: DemoScenario) {
        for peers in 2 ... 3 {
            for line in Self.said(scenario, peers: peers) {
                // The banner draws " " + line on an 80-column row.
                #expect(CharWidth.of(line.unicodeScalars) <= 79, "\(peers) peers: \(line)")
            }
        }
    }

    @Test func backwardSaysTheInterleavingIsExpectedAndWhy() {
        #expect(DemoScript.backwardInterleaving(peers: 3) == "1xa2yb3zc")
        #expect(DemoScript.backwardInterleaving(peers: 2) == "xaybzc")
        // What the real two-replica demo converges to (DemoTests) holds it.
        #expect(DemoTests.expected[.backward]!.contains(DemoScript.backwardInterleaving(peers: 2)))
        let three = Self.said(.backward, peers: 3).joined(separator: " ")
        #expect(three.contains("1xa2yb3zc") && three.contains("Expected") && three.contains("Why:"), "\(three)")
        #expect(three.contains("newest first"), "\(three)")
    }

    @Test func deletedRangeStatesItsRule() {
        let two = Self.said(.deletedRange, peers: 2).joined(separator: " ")
        #expect(two.contains("Rule: a delete removes only the characters it saw"), "\(two)")
        #expect(two.contains("\"entire\""), "\(two)")
    }

    @Test func theHelpListsTheDemoKeysAndFits() {
        var grid = Grid(width: 80, height: 24)
        DemoHelp.render(into: &grid)
        let text = grid.lines.joined(separator: "\n")
        for key in ["Space", "Tab", "Esc", "q  Ctrl-Q", "F1", "n  →"] { #expect(text.contains(key), "\(key):\n\(text)") }
        #expect(!text.contains("Ctrl-S"), "not the editor's help:\n\(text)")
        for line in DemoHelp.lines { #expect(CharWidth.of(line.unicodeScalars) <= 78, "\(line)") }
        #expect(DemoHelp.lines.count <= 22)
    }
}
