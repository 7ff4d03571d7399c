import Testing
import WeaveCore
import WeaveHistory
@testable import WeaveEditor

/// The help screen at 80x24 (issue 33): it scrolls by arrows, pages and the
/// wheel so every key line can be read; a click leaves it open; other keys
/// close it. F1 in the time-travel pane shows every key of the pane.
struct HelpScrollTests {
    /// Every line the help shows while scrolled from top to bottom with `key`.
    func linesSeen(_ e: inout Editor, scrollingWith key: Key, steps: Int = 40) -> Set<String> {
        var seen = Set(e.render().lines)
        for _ in 0 ..< steps {
            _ = e.handle(key)
            #expect(e.mode == .help, "\(key) keeps the help open")
            seen.formUnion(e.render().lines)
        }
        return seen
    }

    func workspaceEditor() -> Editor {
        var e = Editor(fileName: "a.txt", text: "x")
        e.peersStatus = "online"
        e.workspaceFiles = []
        _ = e.handle(.function(1))
        return e
    }

    @Test(arguments: [Key.down, .pageDown, .wheel(3)]) func everyLineCanBeReadAtEightyByTwentyFour(_ key: Key) {
        var e = workspaceEditor()
        let all = Help.lines(peers: true, workspace: true)
        #expect(all.count > e.helpHeight, "the list is longer than the screen (else this test shows nothing)")
        let seen = linesSeen(&e, scrollingWith: key)
        for line in all where !line.isEmpty { #expect(seen.contains(line), "never shown: \(line)") }
        #expect(e.render().lines.last?.contains("of \(all.count))") == true, "the hint says where: \(e.render().lines.last ?? "")")
    }

    @Test func scrollingStopsAtBothEndsAndOtherKeysClose() {
        var e = workspaceEditor()
        _ = e.handle(.up)
        #expect(e.render().lines[0] == "Weave help: keys")
        _ = e.handle(.end)
        let last = Help.lines(peers: true, workspace: true).last!
        #expect(e.render().lines[e.helpHeight - 1] == last)
        _ = e.handle(.pageDown)
        #expect(e.render().lines[e.helpHeight - 1] == last, "no scrolling past the end")
        _ = e.handle(.click(x: 3, y: 3))
        #expect(e.mode == .help, "a click leaves it open")
        _ = e.handle(.char("q"))
        #expect(e.mode == .edit)
        #expect(e.text == "x", "the closing key is not typed")
        _ = e.handle(.function(1))
        #expect(e.render().lines[0] == "Weave help: keys", "opens at the top again")
    }

    @Test func theTimeTravelHelpListsEveryKeyOfThePane() throws {
        var e = Editor(fileName: "f.txt", text: "The black cat sat\nIt purred.\n")
        e.openTimeTravel(try twoAuthorTimeline())
        _ = e.handle(.function(1))
        #expect(e.mode == .help)
        #expect(e.pane != nil, "the pane stays open under its help")
        var seen = Set<String>()
        for _ in 0 ..< 10 { seen.formUnion(e.render().lines); _ = e.handle(.pageDown) }
        let text = seen.joined(separator: "\n")
        for keys in ["←  →", "PgUp  PgDn", "Home  End", "[  ]", "0-9 then Enter", "Space", "+  -", "p ", "b ", "m ",
                     "r  Enter", "Ctrl-F  F3  Shift-F3", "Ctrl-S", "Ctrl-L", "F1  Ctrl-G", "Esc  F2  Ctrl-T  Ctrl-Q"] {
            #expect(text.contains("  " + keys), "missing \(keys):\n\(text)")
        }
        for line in seen { #expect(CharWidth.of(line.unicodeScalars) <= 80, "\(line)") }
        #expect(!text.contains("Ctrl-K"), "the pane's keys, not the editor's:\n\(text)")
        _ = e.handle(.escape)
        #expect(e.mode == .edit && e.pane != nil, "Esc closes the help, not the pane")
        #expect(e.render().lines.contains { $0.hasPrefix(" Time travel") })
    }
}
