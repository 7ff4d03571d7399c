import Testing
import WeaveCore
@testable import WeaveEditor

/// Selection, copy, cut and paste in the scenario notation (`|` is the cursor).
@Suite struct SelectionScenarios {
    let sr: Key = .shift(.right), sl: Key = .shift(.left)

    @Test func shiftArrowsThenCut() { scenario("a|bcdef", [sr, sr, sr, .ctrl("x")], "a|ef") }
    @Test func cutThenPasteElsewhere() { scenario("a|bcdef", [sr, sr, .ctrl("x"), .ctrlEnd, .ctrl("v")], "adefbc|") }
    @Test func typingReplacesTheSelection() { scenario("one two|", [.shift(.ctrlLeft), .char("X")], "one X|") }
    @Test func backspaceDeletesTheSelection() { scenario("abc|def", [sl, sl, .backspace], "a|def") }
    @Test func deleteDeletesTheSelection() { scenario("ab|cdef", [sr, sr, .delete], "ab|ef") }
    @Test func copyKeepsTheText() { scenario("|abc", [sr, sr, .ctrl("c"), .ctrlEnd, .ctrl("v")], "abcab|") }
    @Test func altSixCopiesToo() { scenario("|abc", [sr, .alt("6"), .end, .ctrl("u")], "abca|") }
    @Test func copyWithoutSelectionCopiesTheLine() { scenario("on|e\ntwo", [.ctrl("c"), .ctrlEnd, .enter, .ctrl("v")], "one\ntwo\none\n|") }
    @Test func cutWithoutSelectionCutsTheLine() { scenario("one\nt|wo\nthree", [.ctrl("x")], "one\n|three") }
    @Test func ctrlKCutsTheSelection() { scenario("|abcd", [sr, sr, .ctrl("k")], "|cd") }
    @Test func pasteOverASelection() { scenario("|ab cd", [sr, sr, .ctrl("c"), .ctrlEnd, sl, sl, .ctrl("v")], "ab ab|") }
    @Test func plainMovementEndsAShiftSelection() { scenario("|abcd", [sr, sr, .right, .backspace], "ab|d") }
    @Test func theAltAMarkExtendsWithPlainMovement() { scenario("|abcd", [.alt("a"), .right, .right, .ctrl("x")], "|cd") }
    @Test func escCancels() { scenario("|abcd", [sr, sr, .escape, .backspace], "a|cd") }
    @Test func shiftDownSelectsLines() { scenario("|ab\ncd\nef", [.shift(.down), .ctrl("x")], "|cd\nef") }
    @Test func pasteWithNothingCopiedSaysSo() {
        var e = Editor(fileName: "t", text: "x")
        _ = e.handle(.ctrl("v"))
        #expect(e.message == "Nothing to paste: Ctrl-C copies, Ctrl-X cuts")
        #expect(e.text == "x")
    }

    /// A cut, and a paste over a selection, are one undo step each.
    @Test func cutAndReplaceAreOneUndoStepEach() {
        var e = Editor(fileName: "t", text: "hello world", replica: ReplicaID(1))
        for k: Key in [.shift(.ctrlRight), .ctrl("x")] { _ = e.handle(k) }
        #expect(e.text == "world")
        _ = e.handle(.ctrl("z"))
        #expect(e.text == "hello world")
        for k: Key in [.ctrlEnd, .shift(.ctrlLeft), .char("W"), .char("!")] { _ = e.handle(k) }
        #expect(e.text == "hello W!")
        _ = e.handle(.ctrl("z"))
        #expect(e.text == "hello W", "the typing after the replacement is its own step")
        _ = e.handle(.ctrl("z"))
        #expect(e.text == "hello world")
        _ = e.handle(.ctrl("y"))
        #expect(e.text == "hello W")
    }

    /// The selection is drawn in reverse video, and follows others' edits.
    @Test func theSelectionIsDrawnAndAnchored() throws {
        var e = Editor(fileName: "t", text: "abcdef", replica: ReplicaID(1))
        for k: Key in [.right, .shift(.right), .shift(.right)] { _ = e.handle(k) }
        let row = e.render().rows[0]
        #expect(row.map { $0.attributes.contains(.reverse) }.prefix(4) == [false, true, true, false])
        var other = RGA(replica: ReplicaID(2))
        try other.receive(contentsOf: e.doc.rga.operations(since: other.version))
        try e.receive(other.insert(["Z", "Z"], at: 0)!)
        #expect(e.selection == 3 ..< 5, "\(String(describing: e.selection))")
        _ = e.handle(.ctrl("c"))
        #expect(e.cutBuffer == ["b", "c"])
    }
}
