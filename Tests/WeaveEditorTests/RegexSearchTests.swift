import Testing
import WeaveCore
import WeaveTestSupport
@testable import WeaveEditor

/// Regex find and replace: Alt-R toggles regex in the prompt (which then
/// shows `.*`), Alt-C cycles the case rule; `$0`…`$9` in a replacement; a bad
/// pattern keeps the prompt open and says why; wrapping says so.
@Suite struct RegexSearchTests {
    func keys(_ s: String) -> [Key] { s.unicodeScalars.map(Key.char) }

    func run(_ markedText: String, _ keys: [Key]) throws -> Editor {
        var e = makeEditor(markedText)
        for k in keys {
            _ = e.handle(k)
            try e.checkInvariants()
        }
        return e
    }

    /// The message row of the rendered screen.
    func promptRow(_ e: Editor) -> String { e.render().lines[e.size.height - 1] }

    @Test func altRShowsRegexInThePrompt() throws {
        var e = try run("|a", [.ctrl("f"), .alt("r")])
        #expect(promptRow(e).hasPrefix("Find (.*): "))
        _ = e.handle(.alt("c"))
        #expect(promptRow(e).hasPrefix("Find (.* Aa): "))
        _ = e.handle(.alt("r"))
        #expect(promptRow(e).hasPrefix("Find (Aa): "))
    }

    @Test func findARegexAndWrap() throws {
        var e = try run("a1 b22 |c333", [.ctrl("f"), .alt("r")] + keys("[0-9]{2,}") + [.enter])
        #expect(e.currentMatch == 8 ..< 11)
        #expect(e.message == nil)
        _ = e.handle(.function(3))
        #expect(e.currentMatch == 4 ..< 6)
        #expect(e.message == "Search wrapped")
    }

    @Test func aBadPatternIsSaidAtThePrompt() throws {
        let e = try run("|abc", [.ctrl("f"), .alt("r")] + keys("a(b") + [.enter])
        guard case .prompt(let p) = e.mode else { Issue.record("the prompt closed"); return }
        #expect(p.input == Array("a(b".unicodeScalars))
        #expect(p.note == "Bad pattern: expected ')'")
        #expect(promptRow(e).contains("a(b  Bad pattern: expected ')'"))
    }

    @Test func caseRules() throws {
        // smart: a capital makes it exact
        var e = try run("|word Word", [.ctrl("f")] + keys("Word") + [.enter])
        #expect(e.cursor == 5)
        // ignore: finds the first whatever its case
        e = try run("x |word Word", [.ctrl("f"), .alt("c"), .alt("c")] + keys("WORD") + [.enter])
        #expect(e.cursor == 7)
        #expect(promptRowAfterCtrlF(e).hasPrefix("Find [WORD] (aa):"))
        // exact with a lowercase query
        e = try run("|Word word", [.ctrl("f"), .alt("c")] + keys("word") + [.enter])
        #expect(e.cursor == 5)
    }

    func promptRowAfterCtrlF(_ e: Editor) -> String {
        var e = e
        _ = e.handle(.ctrl("f"))
        return promptRow(e)
    }

    @Test func replaceWithGroups() throws {
        let e = try run("|x=1, y=22", [.alt("r"), .alt("r")] + keys("(\\w)=(\\d+)") + [.enter] + keys("$2:$1 ($0) $$") + [.enter, .char("a")])
        #expect(e.text == "1:x (x=1) $, 22:y (y=22) $")
        #expect(e.message == "Replaced 2 occurrences")
        var u = e
        _ = u.handle(.ctrl("z"))
        #expect(u.text == "x=1, y=22")
    }

    @Test func emptyMatchesDoNotLoop() throws {
        var e = try run("|ab\ncd", [.alt("r"), .alt("r")] + keys("^") + [.enter] + keys("> ") + [.enter, .char("a")])
        #expect(e.text == "> ab\n> cd")
        e = try run("|abc", [.alt("r"), .alt("r")] + keys("x*") + [.enter] + keys("-") + [.enter, .char("a")])
        #expect(e.text == "-a-b-c-")
    }

    @Test func aBadPatternInReplaceKeepsThePrompt() throws {
        let e = try run("|abc", [.alt("r"), .alt("r")] + keys("[z-a]") + [.enter])
        guard case .prompt(let p) = e.mode else { Issue.record("the prompt closed"); return }
        #expect(p.purpose == .replaceFind)
        #expect(p.note?.hasPrefix("Bad pattern: ") == true)
    }

    @Test func plainReplaceTakesDollarsAsTheyAre() throws {
        let e = try run("|a b", [.alt("r")] + keys("a") + [.enter] + keys("$1") + [.enter, .char("a")])
        #expect(e.text == "$1 b")
    }

    @Test func skipMovesPastTheMatch() throws {
        let e = try run("|aa aa", [.alt("r"), .alt("r")] + keys("a+") + [.enter] + keys("b") + [.enter, .char("n"), .char("y")])
        #expect(e.text == "aa b")
    }
}
