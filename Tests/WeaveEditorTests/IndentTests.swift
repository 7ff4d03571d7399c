import Testing
import WeaveCore
@testable import WeaveEditor

/// Indentation in the `"ab|c", keys, "a|c"` notation: Enter keeps the
/// indentation, Tab and Shift-Tab indent and outdent the lines a selection
/// touches (one undo step each), the style is detected from the file.
@Suite struct IndentTests {
    @Test func enterKeepsTheIndentation() throws {
        scenario("    let x|", [.enter], "    let x\n    |")
        scenario("\t\tif a {|", [.enter, .char("b")], "\t\tif a {\n\t\tb|")
        scenario("  |  text", [.enter], "  \n  |  text")  // only what is before the cursor
        scenario("none|", [.enter], "none\n|")
    }

    @Test func enterIsOneUndoStep() throws {
        scenario("  a|", [.enter, .ctrl("z")], "  a|")
    }

    @Test func tabAndShiftTabOnASelection() throws {
        var e = makeEditor("|a\nb\n\nc")
        e.indentTabs = false
        e.indentWidth = 2
        for k: Key in [.shift(.down), .shift(.down), .shift(.down), .tab] { _ = e.handle(k); try e.checkInvariants() }
        #expect(e.text == "  a\n  b\n\nc")  // the empty line stays empty; c is after the selection's end
        _ = e.handle(.tab)
        #expect(e.text == "    a\n    b\n\nc")
        _ = e.handle(.shift(.tab))
        #expect(e.text == "  a\n  b\n\nc")
        _ = e.handle(.ctrl("z"))
        #expect(e.text == "    a\n    b\n\nc")
        _ = e.handle(.ctrl("z"))
        #expect(e.text == "  a\n  b\n\nc")
    }

    @Test func shiftTabWithoutASelectionOutdentsTheLine() throws {
        scenario("\t\tab|c", [.shift(.tab)], "\tab|c")
        scenario("ab|c", [.shift(.tab)], "ab|c")
    }

    @Test func tabTypesSpacesToTheNextStop() throws {
        var e = makeEditor("ab|")
        e.indentTabs = false
        e.indentWidth = 4
        _ = e.handle(.tab)
        #expect(marked(e) == "ab  |")
    }

    @Test func detection() {
        let spaces = "a\n  b\n    c\n  d\n    e\n"
        #expect(IndentStyle.detect(Array(spaces.unicodeScalars)) == IndentStyle(tabs: false, width: 2))
        let tabs = "a\n\tb\n\t\tc\n\td\n"
        #expect(IndentStyle.detect(Array(tabs.unicodeScalars))?.tabs == true)
        #expect(IndentStyle.detect(Array("a\nb\n".unicodeScalars)) == nil)
        let e = Editor(fileName: "x.py", text: "def f():\n    a\n    b\n        c\n")
        #expect(e.indentTabs == false && e.indentWidth == 4)
    }
}
