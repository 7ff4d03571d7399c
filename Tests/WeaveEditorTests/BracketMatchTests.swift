import Testing
import WeaveCore
@testable import WeaveEditor

/// Bracket matching: the matcher alone (nested, unmatched, bounds, kinds),
/// the pair next to the cursor (either side, across lines, strings and
/// comments skipped) and the highlight on the screen.
@Suite struct BracketMatchTests {
    func match(_ s: String, _ i: Int, bounds: Range<Int>? = nil, limit: Int = BracketMatch.limit) -> Int? {
        let a = Array(s.unicodeScalars)
        return BracketMatch.match(in: a, at: i, within: bounds ?? 0 ..< a.count, limit: limit)
    }

    @Test func nestedBracketsMatchTheirOwn() {
        let s = "f(a(b)[c{d}](e))"
        #expect(match(s, 1) == 15)
        #expect(match(s, 15) == 1)
        #expect(match(s, 3) == 5)
        #expect(match(s, 6) == 11)
        #expect(match(s, 8) == 10)
        #expect(match(s, 12) == 14)
        #expect(match(s, 0) == nil)  // not a bracket
    }

    @Test func unmatchedBracketsHaveNoMatch() {
        #expect(match("(()", 0) == nil)
        #expect(match("())", 2) == nil)
        #expect(match("{]", 0) == nil)
        #expect(match("( [ )", 0) == 4)  // only the same kind nests
    }

    @Test func theSearchIsBounded() {
        let s = "(" + String(repeating: "x", count: 100) + ")"
        #expect(match(s, 0, limit: 101) == 101)
        #expect(match(s, 0, limit: 100) == nil)
        #expect(match(s, 101, limit: 100) == nil)
        #expect(match(s, 0, bounds: 0 ..< 50) == nil)
        #expect(match(s, 101, bounds: 50 ..< 102) == nil)
    }

    func editor(_ marked: String, fileName: String = "t", height: Int = 24) -> Editor {
        let (text, cursor) = parseMarked(marked)
        var e = Editor(fileName: fileName, text: text, replica: ReplicaID(1), size: .init(width: 80, height: height))
        _ = e.handle(.ctrlHome)
        for _ in 0 ..< cursor { _ = e.handle(.right) }
        return e
    }

    func pair(_ e: Editor) -> (Int, Int)? { e.bracketPair { e.syntaxTokens(line: $0) } }

    @Test func aBracketAtTheCursorOrJustBeforeIt() {
        #expect(pair(editor("a|(b)")).map { [$0.0, $0.1] } == [1, 3])  // at the cursor
        #expect(pair(editor("a(b)|")).map { [$0.0, $0.1] } == [3, 1])  // just before it
        #expect(pair(editor("a(|b)")).map { [$0.0, $0.1] } == [1, 3])  // after the opening one
        #expect(pair(editor("a(b|)")).map { [$0.0, $0.1] } == [3, 1])  // at the closing one
        #expect(pair(editor("a|b(c)")) == nil)  // none next to the cursor
        #expect(pair(editor("|")) == nil)
    }

    @Test func acrossLines() {
        let e = editor("func f() |{\n    if x {\n        y()\n    }\n}\n")
        #expect(pair(e).map { [$0.0, $0.1] } == [9, 40])
    }

    @Test func bracketsInStringsAndCommentsAreSkippedInCode() {
        let swift = editor("f|(\")\", // )\n   x)\n", fileName: "a.swift")
        #expect(pair(swift).map { [$0.0, $0.1] } == [1, 16])
        let plain = editor("f|(\")\", // )\n   x)\n", fileName: "a.txt")
        #expect(pair(plain).map { [$0.0, $0.1] } == [1, 3])
        // A bracket that is itself in a string is not matched.
        #expect(pair(editor("x = \"|(\" + (y)", fileName: "a.swift")) == nil)
    }

    @Test func aMatchOffTheScreenIsNotSearchedFor() {
        let text = "|(\n" + String(repeating: "x\n", count: 40) + ")\n"
        #expect(pair(editor(text, height: 24)) == nil)
        #expect(pair(editor(text, height: 50)).map { [$0.0, $0.1] } == [0, 82])
    }

    @Test func theScreenShowsBothBracketsBoldAndUnderlined() {
        let e = editor("let a = f(|b, [c])\n", fileName: "a.swift")
        let g = e.render()
        let cells = g.rows[0]
        #expect(cells[9].text == "(" && cells[9].attributes.contains([.bold, .underline]))
        #expect(cells[16].text == ")" && cells[16].attributes.contains([.bold, .underline]))
        #expect(!cells[13].attributes.contains(.underline))
        #expect(!cells[15].attributes.contains(.underline))
        let moved = editor("let a = f(b|, [c])\n", fileName: "a.swift").render()
        #expect(!moved.rows[0][9].attributes.contains(.underline))
    }

    @Test func theGutterShiftsTheHighlight() {
        var e = editor("|(x)")
        var s = Settings()
        s.lineNumbers = true
        e.apply(s)
        let g = e.render()
        #expect(g.rows[0][4].text == "(" && g.rows[0][4].attributes.contains([.bold, .underline]))
        #expect(g.rows[0][6].text == ")" && g.rows[0][6].attributes.contains([.bold, .underline]))
    }
}
