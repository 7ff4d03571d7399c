import Testing
import WeaveCore
@testable import WeaveEditor

/// Alt-G / Ctrl-_ "Go to line[:column]", in the scenario notation.
@Suite struct GoToLineScenarios {
    func go(_ answer: String) -> [Key] { [.alt("g")] + typing(answer) + [.enter] }

    @Test func toALine() { scenario("|one\ntwo\nthree", go("3"), "one\ntwo\n|three") }
    @Test func toALineAndColumn() { scenario("|one\ntwo\nthree", go("2:3"), "one\ntw|o\nthree") }
    @Test func ctrlUnderscoreToo() { scenario("one\n|two", [.ctrl("_")] + typing("1:2") + [.enter], "o|ne\ntwo") }
    @Test func pastTheEndStopsAtTheLastLine() { scenario("|a\nb", go("99"), "a\n|b") }
    @Test func pastTheLineEndStopsAtItsEnd() { scenario("|ab\ncd", go("1:40"), "ab|\ncd") }
    @Test func wideCharactersCountAsOne() { scenario("|x\n日本語", go("2:3"), "x\n日本|語") }
    @Test func escCancels() { scenario("a|b", [.alt("g"), .char("1"), .escape], "a|b") }

    @Test func nonsenseIsRefusedWithAMessage() {
        var e = Editor(fileName: "t", text: "a\nb")
        for k in go("x:1") { _ = e.handle(k) }
        #expect(e.message == "Not a line number: x:1 (LINE or LINE:COLUMN, from 1)")
        #expect(e.cursor == 0)
        for k in go("2:0") { _ = e.handle(k) }
        #expect(e.message?.hasPrefix("Not a line number") == true)
        for k in go("9") { _ = e.handle(k) }
        #expect(e.message == "Line 2: the last line is 2")
    }

    /// A long way down: the view follows the cursor.
    @Test func theViewFollows() {
        var e = Editor(fileName: "t", text: (1 ... 500).map { "line \($0)" }.joined(separator: "\n"))
        for k in go("400") { _ = e.handle(k) }
        #expect(e.lineAndColumn.line == 399)
        let screen = e.render().rows.map { $0.map(\.text).joined() }
        #expect(screen.contains { $0.hasPrefix("line 400") })
    }
}

/// Soft wrap off: coming down from a long line to a short one shows the short
/// line from its start, not scrolled right past its end.
@Suite struct HorizontalScrollTests {
    @Test func movingToAShortLineScrollsBackLeft() {
        var e = Editor(fileName: "t", text: String(repeating: "x", count: 200) + "\n" + String(repeating: "s", count: 54))
        _ = e.handle(.ctrl("o"))  // soft wrap off
        for _ in 0 ..< 162 { _ = e.handle(.right) }
        #expect(e.leftColumn > 0)
        _ = e.handle(.down)
        #expect(e.lineAndColumn == (1, 54))
        #expect(e.leftColumn == 0, "the view stayed scrolled right: \(e.leftColumn)")
        let row = e.render().rows[1].map(\.text).joined()
        #expect(row.hasPrefix(String(repeating: "s", count: 54)), "\(row)")
    }
}
