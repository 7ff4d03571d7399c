import Foundation
import Testing
import WeaveCore
@testable import WeaveEditor

/// Golden 80x24 screens: the rendered Grid as text plus the cursor position,
/// compared with `Golden/<name>.txt`. Run with WEAVE_UPDATE_GOLDEN=1 to rewrite
/// the files after an intended change (then read the diff).
@Suite struct GoldenTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    func check(_ name: String, _ grid: Grid, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = Self.dir.appendingPathComponent(name + ".txt")
        let actual = grid.snapshot
        if ProcessInfo.processInfo.environment["WEAVE_UPDATE_GOLDEN"] == "1" {
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(actual == expected, "golden \(name) differs; WEAVE_UPDATE_GOLDEN=1 rewrites it", sourceLocation: sourceLocation)
    }

    @Test func wideCharacters() throws {
        var e = makeEditor("日本語のテキスト\ncafé e\u{301} naïve\n😀 emoji 🎉 party\ntab\there\n|")
        e.notify("wide characters")
        let g = e.render()
        try check("wide", g)
        #expect(g.rows[0][0].width == 2 && g.rows[0][1].isContinuation)
        #expect(g.lines[0] == "日本語のテキスト")
        #expect(g.lines[3] == "tab     here")
        #expect(g.cursor! == (0, 4) ? true : false)
    }

    @Test func wrappedLine() throws {
        let long = (1 ... 30).map { "word\($0)" }.joined(separator: " ")
        var e = makeEditor("first line\n" + long + " 日本語|\nlast line")
        _ = e.handle(.ctrl("n"))
        let g = e.render()
        try check("wrapped", g)
        #expect(g.lines[1].hasPrefix("  2 word1 word2"))
        #expect(g.lines[2].hasPrefix("    "))
    }

    @Test func statusLine() throws {
        var e = makeEditor("hello\nwor|ld")
        _ = e.handle(.char("!"))
        e.peersStatus = "● alice ● bob (linked)"
        let g = e.render()
        try check("status", g)
        #expect(g.lines[22].contains("[modified]"))
        #expect(g.lines[22].hasSuffix("Ln 2, Col 5"))
        #expect(g.rows[22].allSatisfy { $0.attributes.contains(.reverse) })
    }

    @Test func helpScreen() throws {
        var e = makeEditor("text|")
        _ = e.handle(.function(1))
        let g = e.render()
        try check("help", g)
        #expect(g.cursor == nil ? true : false)
        for b in Help.bindings { #expect(g.lines.contains { $0.contains(b.keys) }, "\(b.keys) listed") }
    }

    @Test func findPrompt() throws {
        var e = makeEditor("|abc")
        for k in [Key.ctrl("f"), .char("日"), .char("x")] { _ = e.handle(k) }
        let g = e.render()
        #expect(g.lines[23] == "Find: 日x")
        #expect(g.cursor! == (9, 23) ? true : false)
    }

    @Test func renderAtOtherSizeIsPure() {
        let e = makeEditor((1 ... 50).map { "l\($0)" }.joined(separator: "\n") + "|")
        let small = render(e, .init(width: 20, height: 5))
        #expect(small.height == 5 && small.width == 20)
        #expect(small.lines[2] == "l50")
        #expect(e.size == .init(width: 80, height: 24))
        #expect(render(e, e.size) == e.render())
    }
}
