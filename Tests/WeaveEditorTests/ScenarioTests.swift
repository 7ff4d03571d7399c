import Testing
import WeaveCore
@testable import WeaveEditor

@Suite struct TypingScenarios {
    @Test func typeIntoEmpty() { scenario("|", typing("hello"), "hello|") }
    @Test func typeInMiddle() { scenario("ab|c", typing("XY"), "abXY|c") }
    @Test func enterSplitsLine() { scenario("ab|cd", [.enter], "ab\n|cd") }
    @Test func tabInserted() { scenario("a|b", [.tab], "a\t|b") }
    @Test func backspace() { scenario("ab|c", [.backspace], "a|c") }
    @Test func backspaceAtStartDoesNothing() { scenario("|abc", [.backspace], "|abc") }
    @Test func backspaceJoinsLines() { scenario("ab\n|cd", [.backspace], "ab|cd") }
    @Test func ctrlHIsBackspace() { scenario("ab|c", [.ctrl("h")], "a|c") }
    @Test func deleteKey() { scenario("a|bc", [.delete], "a|c") }
    @Test func ctrlDIsDelete() { scenario("a|bc", [.ctrl("d")], "a|c") }
    @Test func deleteAtEndDoesNothing() { scenario("abc|", [.delete], "abc|") }
    @Test func deleteJoinsLines() { scenario("ab|\ncd", [.delete], "ab|cd") }
    @Test func wideCharacters() { scenario("|", typing("日本é😀"), "日本é😀|") }
    @Test func backspaceRemovesCombiningCluster() { scenario("ae\u{301}|x", [.backspace], "a|x") }
    @Test func deleteRemovesCombiningCluster() { scenario("a|e\u{301}x", [.delete], "a|x") }
    @Test func pasteBlockNormalisesNewlines() { scenario("a|b", [.paste("1\r\n2\r3")], "a1\n2\n3|b") }
}

@Suite struct MotionScenarios {
    @Test func leftRight() { scenario("ab|c", [.left, .left, .right], "a|bc") }
    @Test func leftAtStartStays() { scenario("|ab", [.left], "|ab") }
    @Test func rightAtEndStays() { scenario("ab|", [.right], "ab|") }
    @Test func rightSkipsCombiningMarks() { scenario("|e\u{301}x", [.right], "e\u{301}|x") }
    @Test func leftSkipsCombiningMarks() { scenario("e\u{301}|x", [.left], "|e\u{301}x") }
    @Test func upDownKeepColumn() { scenario("abcd|ef\nx\nabcdef", [.down, .down], "abcdef\nx\nabcd|ef") }
    @Test func upFromFirstLineGoesToStart() { scenario("ab|c\nd", [.up], "|abc\nd") }
    @Test func downFromLastLineGoesToEnd() { scenario("a\nb|cd", [.down], "a\nbcd|") }
    @Test func upDownOverWideCharacters() { scenario("日本|語\nabcdef", [.down], "日本語\nabcd|ef") }
    @Test func homeEnd() { scenario("a\nbc|de\nf", [.home], "a\n|bcde\nf"); scenario("a\nb|cde\nf", [.end], "a\nbcde|\nf") }
    @Test func ctrlAEIsHomeEnd() { scenario("xy|z", [.ctrl("a")], "|xyz"); scenario("x|yz", [.ctrl("e")], "xyz|") }
    @Test func ctrlHomeEnd() { scenario("a\nb|c\nd", [.ctrlHome], "|a\nbc\nd"); scenario("a\nb|c\nd", [.ctrlEnd], "a\nbc\nd|") }
    @Test func wordMotion() {
        scenario("|foo bar, baz", [.ctrlRight], "foo |bar, baz")
        scenario("foo |bar, baz", [.ctrlRight], "foo bar, |baz")
        scenario("foo bar, baz|", [.ctrlLeft], "foo bar, |baz")
        scenario("foo bar, |baz", [.ctrlLeft], "foo |bar, baz")
    }
    @Test func pageDownAndUp() {
        let text = (1 ... 60).map { "line \($0)" }.joined(separator: "\n")
        var e = makeEditor("|" + text)
        _ = e.handle(.pageDown)
        #expect(e.lineAndColumn.line == 21)  // textHeight 22, page = 21 rows
        #expect(e.top.line == 21)
        _ = e.handle(.pageUp)
        #expect(e.lineAndColumn.line == 0)
        #expect(e.top.line == 0)
    }
    @Test func clickMovesCursor() {
        scenario("|abc\ndef\nghi", [.click(x: 2, y: 1)], "abc\nde|f\nghi")
        scenario("|abc\ndef", [.click(x: 50, y: 0)], "abc|\ndef")
        scenario("|abc\ndef", [.click(x: 3, y: 10)], "abc\ndef|")
    }
    @Test func clickOnWideCharacterSecondHalf() { scenario("|日本語", [.click(x: 3, y: 0)], "日|本語") }
    @Test func clickWithLineNumbers() { scenario("|abc\ndef", [.ctrl("n"), .click(x: 5, y: 1)], "abc\nd|ef") }
}

@Suite struct WrapScenarios {
    @Test func downMovesByVisualRowWhenWrapping() {
        // width 10: "0123456789abc" wraps after 9 (the row is 10 wide).
        scenario("01|23456789abc", [.down], "0123456789ab|c", width: 10)
    }
    @Test func downMovesByLineWithoutWrap() {
        scenario("01|23456789abc\nxyz", [.ctrl("o"), .down], "0123456789abc\nxy|z", width: 10)
    }
    @Test func wideCharacterNeverStraddlesRows() {
        let l = LineLayout(Array("abcdefghi日".unicodeScalars), width: 10)
        #expect(l.rowStarts == [0, 9])
        #expect(l.position(of: 9) == (1, 0) ? true : false)
    }
    @Test func fullRowGetsEmptyRowForCursor() {
        let l = LineLayout(Array("0123456789".unicodeScalars), width: 10)
        #expect(l.rowStarts == [0, 10])
        #expect(l.position(of: 10).row == 1)
    }
    @Test func tabsExpandToStops() {
        let l = LineLayout(Array("a\tb\tc".unicodeScalars), width: nil, tabWidth: 8)
        #expect(l.columns == [0, 1, 8, 9, 16, 17])
        #expect(l.widths == [1, 7, 1, 7, 1])
    }
    @Test func resizeKeepsCursorVisible() {
        let text = (1 ... 60).map { "line \($0)" }.joined(separator: "\n")
        var e = makeEditor(text + "|")
        #expect(e.top.line == 60 - 22)
        _ = e.handle(.resize(width: 40, height: 10))
        #expect(e.top.line == 60 - 8)
        _ = e.handle(.resize(width: 80, height: 24))
        let g = e.render()
        #expect(g.cursor?.y ?? -1 < 22)
        #expect(g.lines[g.cursor!.y] == "line 60")
    }
    @Test func horizontalScrollWithoutWrap() {
        var e = makeEditor("|" + String(repeating: "x", count: 100) + "END")
        _ = e.handle(.ctrl("o"))
        _ = e.handle(.end)
        let g = e.render()
        #expect(g.lines[0].hasSuffix("END"))
        #expect(g.cursor!.x < 80)
    }
}

@Suite struct CommandScenarios {
    @Test func cutLineAndPaste() {
        scenario("a\nb|b\nc", [.ctrl("k")], "a\n|c")
        scenario("a\nb|b\nc", [.ctrl("k"), .ctrl("u")], "a\nbb\n|c")
        scenario("a\nb|b\nc", [.ctrl("k"), .up, .ctrl("u")], "bb\n|a\nc")
    }
    @Test func consecutiveCutsCollect() {
        scenario("|1\n2\n3\n4", [.ctrl("k"), .ctrl("k"), .ctrlEnd, .ctrl("u")], "3\n41\n2\n|")
    }
    @Test func cutAfterMovingStartsAfresh() {
        scenario("|1\n2\n3", [.ctrl("k"), .down, .ctrl("k"), .ctrl("u")], "2\n3|")
    }
    @Test func cutLastLineWithoutNewline() { scenario("a\nb|c", [.ctrl("k")], "a\n|") }
    @Test func pasteEmptyBufferSaysSo() {
        var e = makeEditor("a|b")
        _ = e.handle(.ctrl("u"))
        #expect(e.message == "Nothing to paste: Ctrl-C copies, Ctrl-X cuts")
    }
    @Test func findForwardAndWrap() {
        scenario("|foo bar foo", [.ctrl("f")] + typing("foo") + [.enter], "foo bar |foo")
        scenario("foo bar |foo", [.ctrl("f")] + typing("foo") + [.enter], "|foo bar foo")
    }
    @Test func findNextPrevious() {
        scenario("|ab ab ab", [.ctrl("w")] + typing("ab") + [.enter, .function(3)], "ab ab |ab")
        scenario("|ab ab ab", [.ctrl("w")] + typing("ab") + [.enter, .function(4)], "|ab ab ab")
        scenario("ab ab |ab", [.ctrl("w")] + typing("ab") + [.enter, .function(4), .function(4)], "ab |ab ab")
    }
    @Test func findMessages() {
        var e = makeEditor("|abc abc")
        for k in [.ctrl("f")] + typing("abc") + [.enter] { _ = e.handle(k) }
        #expect(e.message == nil)
        _ = e.handle(.function(3))
        #expect(e.message == "Search wrapped")
        for k in [.ctrl("f")] + typing("zz") + [.enter] { _ = e.handle(k) }
        #expect(e.message == "\"zz\" not found")
    }
    @Test func findPromptEditsAndCancels() {
        var e = makeEditor("a|bc")
        for k in [Key.ctrl("f"), .char("x"), .char("y"), .backspace] { _ = e.handle(k) }
        #expect(e.mode == .prompt(.init(label: "Find", input: ["x"])))
        _ = e.handle(.escape)
        #expect(e.mode == .edit)
        #expect(e.message == "Cancelled")
        #expect(marked(e) == "a|bc")
    }
    @Test func saveEmitsTextAndDidSaveClearsModified() {
        var e = makeEditor("|")
        _ = e.handle(.char("x"))
        #expect(e.modified)
        let fx = e.handle(.ctrl("s"))
        #expect(fx == [.save(text: "x")])
        e.didSave(error: nil)
        #expect(!e.modified)
        e.didSave(error: "disk full")
        #expect(e.message == "Not saved: disk full")
    }
    @Test func quitAsksWhenModified() {
        var e = makeEditor("|")
        #expect(e.handle(.ctrl("q")) == [.quit])
        _ = e.handle(.char("x"))
        #expect(e.handle(.ctrl("q")).isEmpty)
        #expect(e.message?.hasPrefix("Unsaved!") == true)
        #expect(e.message?.hasSuffix("unchanged, edits in history") == true,
                "the question says what quitting does: the edits are in the history, the file is not written")
        #expect(e.handle(.ctrl("q")) == [.quit])
    }
    @Test func quitQuestionCancelledByOtherKey() {
        var e = makeEditor("|")
        _ = e.handle(.char("x"))
        _ = e.handle(.ctrl("q"))
        _ = e.handle(.right)
        #expect(e.handle(.ctrl("q")).isEmpty)
    }
    @Test func helpOpensAndAnyKeyCloses() {
        var e = makeEditor("a|b")
        _ = e.handle(.function(1))
        #expect(e.mode == .help)
        _ = e.handle(.char("z"))
        #expect(e.mode == .edit)
        #expect(marked(e) == "a|b")
        _ = e.handle(.ctrl("g"))
        #expect(e.mode == .help)
    }
    @Test func togglesAndRedraw() {
        var e = makeEditor("|")
        _ = e.handle(.ctrl("o"))
        #expect(!e.softWrap)
        _ = e.handle(.ctrl("n"))
        #expect(e.lineNumbers)
        #expect(e.handle(.ctrl("l")) == [.redraw])
        #expect(e.handle(.function(9)) == [.bell])
        _ = e.handle(.ctrl("c"))
        #expect(e.message == "Copied line 1", "Ctrl-C copies (the line, with no selection)")
    }
    @Test func editsAreBroadcast() {
        var e = makeEditor("|")
        let fx = e.handle(.char("a"))
        guard case .broadcast(let ops) = fx.first else { Issue.record("no broadcast"); return }
        var peer = RGA(replica: ReplicaID(2))
        _ = try? peer.receive(contentsOf: e.doc.rga.log.filter { $0.replica == ReplicaID(1) && !ops.contains($0) })
        for op in ops { _ = try? peer.receive(op) }
        #expect(peer.text == "a")
        #expect(e.handle(.right).isEmpty)
    }
}
