import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveEditor

/// Replace (Alt-R, Ctrl-\): the two questions, then y/n/a/Esc at each match;
/// the count on the message line; one undo step and one redo step.
@Suite struct ReplaceTests {
    /// Alt-R, the query, Enter, the replacement, Enter.
    func ask(_ find: String, _ with: String, key: Key = .alt("r")) -> [Key] {
        [key] + find.unicodeScalars.map(Key.char) + [.enter] + with.unicodeScalars.map(Key.char) + [.enter]
    }

    func run(_ markedText: String, _ keys: [Key]) throws -> Editor {
        var e = makeEditor(markedText)
        for k in keys {
            _ = e.handle(k)
            try e.checkInvariants()
        }
        return e
    }

    @Test func yesNoYesThenTheEnd() throws {
        let e = try run("|cat cat cat", ask("cat", "dog") + [.char("y"), .char("n"), .char("y")])
        #expect(marked(e) == "dog cat dog|")
        #expect(e.message == "Replaced 2 occurrences")
        #expect(e.mode == .edit)
    }

    @Test func allReplacesTheRestWithoutAsking() throws {
        let e = try run("|a.a.a.a", ask("a", "bb") + [.char("n"), .char("a")])
        #expect(marked(e) == "a.bb.bb.bb|")
        #expect(e.message == "Replaced 3 occurrences")
    }

    @Test func escStopsAndKeepsWhatWasDone() throws {
        let e = try run("|x x x", ask("x", "y") + [.char("y"), .escape])
        #expect(marked(e) == "y |x x")
        #expect(e.message == "Replaced 1 occurrence")
        #expect(e.mode == .edit)
        #expect(e.currentMatch == nil)
    }

    @Test func ctrlBackslashStartsItToo() throws {
        let e = try run("|ab ab", ask("ab", "c", key: .ctrl("\\")) + [.char("a")])
        #expect(e.text == "c c")
    }

    @Test func nothingFoundSaysSo() throws {
        let e = try run("|abc", ask("zz", "y"))
        #expect(e.message == "\"zz\" not found")
        #expect(e.mode == .edit)
        #expect(e.text == "abc")
    }

    @Test func zeroReplacedIsPlural() throws {
        let e = try run("|ab ab", ask("ab", "c") + [.char("n"), .char("n")])
        #expect(e.message == "Replaced 0 occurrences")
        #expect(e.text == "ab ab")
    }

    /// It runs from the cursor to the end, then from the start back to where it began.
    @Test func wrapsAroundOnceFromTheCursor() throws {
        var e = try run("one two o|ne one", ask("one", "1"))
        #expect(e.cursor == 12)  // the third "one": the first match from the cursor
        _ = e.handle(.char("y"))
        #expect(e.cursor == 0)  // wrapped to the start
        _ = e.handle(.char("y"))
        #expect(e.text == "1 two one 1")
        #expect(e.cursor == 6)  // the "one" the cursor was in is the last
        _ = e.handle(.char("y"))
        #expect(e.text == "1 two 1 1")
        #expect(e.message == "Replaced 3 occurrences")
    }

    /// A replacement that holds the query is never replaced again.
    @Test func aReplacementHoldingTheQueryIsNotVisitedAgain() throws {
        let e = try run("a|a", ask("a", "aa") + [.char("a")])
        #expect(e.text == "aaaa")
        #expect(e.message == "Replaced 2 occurrences")
    }

    @Test func anEmptyReplacementDeletes() throws {
        let e = try run("|a-b-c", ask("-", "") + [.char("a")])
        #expect(e.text == "abc")
    }

    @Test func caseInsensitiveUnlessTheQueryHasACapital() throws {
        let lower = try run("|Cat cat CAT", ask("cat", "x") + [.char("a")])
        #expect(lower.text == "x x x")
        let upper = try run("|Cat cat CAT", ask("Cat", "x") + [.char("a")])
        #expect(upper.text == "x cat CAT")
    }

    @Test func theCurrentMatchIsHighlightedWhileAsking() throws {
        let e = try run("|say hello", ask("hello", "bye"))
        #expect(e.mode == .replacing)
        #expect(e.currentMatch == 4 ..< 9)
        let g = e.render()
        #expect(g.rows[0][4].attributes.contains(.reverse) && g.rows[0][8].attributes.contains(.reverse))
        #expect(!g.rows[0][3].attributes.contains(.reverse) && !g.rows[0][9].attributes.contains(.reverse))
        #expect(g.lines[23].hasPrefix("Replace this? y yes, n no, a all, Esc stop"), "\(g.lines[23])")
    }

    @Test func theSecondQuestionNamesTheQueryAndAnEmptyFirstAnswerReusesTheLast() throws {
        var e = try run("|ab ab", ask("ab", "c") + [.escape])
        _ = e.handle(.alt("r"))
        #expect(e.render().lines[23] == "Replace [ab]:")
        _ = e.handle(.enter)
        #expect(e.render().lines[23] == "Replace \"ab\" with:")
    }

    @Test func otherKeysWhileAskingOnlyRemindTheAnswers() throws {
        var e = try run("|ab", ask("ab", "c"))
        _ = e.handle(.char("q"))
        #expect(e.text == "ab" && e.mode == .replacing)
        #expect(e.message == "y replaces, n skips, a replaces all the rest, Esc stops")
    }

    /// However many matches, one Ctrl-Z undoes the whole replace and one Ctrl-Y redoes it.
    @Test func theWholeReplaceIsOneUndoStepAndOneRedoStep() throws {
        var e = try run("|ab ab ab\nab", [.char("x"), .char(" ")] + ask("ab", "CD") + [.char("y"), .char("n"), .char("a")])
        #expect(e.text == "x CD ab CD\nCD")
        _ = e.handle(.ctrl("z"))
        #expect(e.text == "x ab ab ab\nab")
        _ = e.handle(.ctrl("y"))
        #expect(e.text == "x CD ab CD\nCD")
        _ = e.handle(.ctrl("z"))
        _ = e.handle(.ctrl("z"))
        #expect(e.text == "ab ab ab\nab")  // the typing before it is a step of its own
        try e.checkInvariants()
    }

    @Test func aReplaceSendsItsOperations() throws {
        var e = makeEditor("|ab ab", replica: ReplicaID(1))
        var peer = RGA(replica: ReplicaID(2))
        try peer.receive(contentsOf: e.doc.rga.operations(since: VersionVector()))
        for k in ask("ab", "c") + [.char("a")] {
            for case .broadcast(let ops) in e.handle(k) { try peer.receive(contentsOf: ops) }
        }
        #expect(peer.text == "c c")
    }

    /// Another author's edit under the match: the next answer looks again from there.
    @Test func aMatchChangedByAnotherAuthorIsLookedForAgain() throws {
        var e = makeEditor("|ab ab", replica: ReplicaID(1))
        var peer = RGA(replica: ReplicaID(2))
        try peer.receive(contentsOf: e.doc.rga.operations(since: VersionVector()))
        for k in ask("ab", "c") { _ = e.handle(k) }
        #expect(e.cursor == 0)
        try e.receive(peer.delete(at: 0, length: 1)!)  // "b ab": the first match is gone
        _ = e.handle(.char("y"))  // looks again: no replacement yet
        #expect(e.text == "b ab" && e.cursor == 2 && e.mode == .replacing)
        _ = e.handle(.char("y"))
        #expect(e.text == "b c")
        #expect(e.message == "Replaced 1 occurrence")
        _ = e.handle(.ctrl("z"))
        #expect(e.text == "b ab")
    }

    @Test func readOnlyRefusesIt() {
        for key: Key in [.alt("r"), .ctrl("\\")] {
            var e = makeEditor("|ab")
            e.readOnly = "a read-only invitation"
            _ = e.handle(key)
            #expect(e.mode == .edit)
            #expect(e.message == "Read-only: a read-only invitation. Nothing was changed")
        }
    }
}

/// Find: smart case, the match highlighted, the last query remembered.
@Suite struct FindTests {
    @Test func caseInsensitiveUnlessTheQueryHasACapital() {
        scenario("|x Word word", [.ctrl("f")] + typing("word") + [.enter], "x |Word word")
        scenario("|x word Word", [.ctrl("f")] + typing("Word") + [.enter], "x word |Word")
        scenario("|é É", [.ctrl("f"), .char("é"), .enter], "é |É")
    }

    @Test func theMatchIsHighlightedUntilTheNextKey() {
        var e = makeEditor("|one two")
        for k in [.ctrl("f")] + typing("two") + [.enter] { _ = e.handle(k) }
        #expect(e.currentMatch == 4 ..< 7)
        let g = e.render()
        #expect((4 ..< 7).allSatisfy { g.rows[0][$0].attributes.contains(.reverse) })
        #expect(g.rows[0][4].colour == Grid.Colour.yellow.rawValue)
        _ = e.handle(.right)
        #expect(e.currentMatch == nil)
        #expect(!e.render().rows[0][5].attributes.contains(.reverse))
    }

    @Test func theLastQueryIsRemembered() {
        var e = makeEditor("|ab ab ab")
        for k in [.ctrl("f")] + typing("ab") + [.enter] { _ = e.handle(k) }
        _ = e.handle(.ctrl("f"))
        #expect(e.render().lines[23] == "Find [ab]:")
        _ = e.handle(.enter)  // an empty answer finds the last query again
        #expect(e.cursor == 6)
        _ = e.handle(.function(15))  // Shift-F3: previous
        #expect(e.cursor == 3)
        _ = e.handle(.alt("w"))
        #expect(e.cursor == 6)
    }
}
