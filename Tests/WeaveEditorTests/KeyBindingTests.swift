import Testing
import WeaveCore
@testable import WeaveEditor

/// Settings applied to an editor, and keys rebound by them: the bound key does
/// its command, built-in keys not taken keep theirs, prompts keep their keys.
@Suite struct KeyBindingTests {
    func editor(_ text: String, fileName: String = "t") -> Editor {
        Editor(fileName: fileName, text: text, replica: ReplicaID(1))
    }

    func bound(_ pairs: [(String, EditorCommand)]) -> Settings {
        var s = Settings()
        for (name, c) in pairs {
            guard case .success(let k) = KeyName.parse(name) else { Issue.record("bad key name \(name)"); continue }
            #expect(s.keys.bind(k, to: c) == nil)
        }
        return s
    }

    @Test func aBoundKeyDoesItsCommand() {
        var e = editor("hello")
        e.apply(bound([("ctrl-w", .save)]))
        #expect(e.handle(.ctrl("w")) == [.save(text: "hello")])
        #expect(e.handle(.ctrl("s")) == [.save(text: "hello")])  // the built-in key still works
    }

    @Test func aBuiltInKeyTakenByAnotherCommandDoesThatCommand() {
        var e = editor("hello")
        e.apply(bound([("ctrl-s", .find), ("ctrl-f", .save)]))
        _ = e.handle(.ctrl("s"))
        guard case .prompt(let p) = e.mode else { Issue.record("Ctrl-S did not open find: \(e.mode)"); return }
        #expect(p.purpose == .find)
        _ = e.handle(.escape)
        #expect(e.handle(.ctrl("f")) == [.save(text: "hello")])
    }

    @Test func movementCommandsCanBeBound() {
        var e = editor("one two\nthree")
        e.apply(bound([("alt-e", .lineEnd), ("f9", .fileEnd), ("alt-h", .lineStart)]))
        _ = e.handle(.alt("e"))
        #expect(e.cursor == 7)
        _ = e.handle(.alt("H"))  // Alt-Shift-H: the same binding
        #expect(e.cursor == 0)
        _ = e.handle(.function(9))
        #expect(e.cursor == 13)
    }

    @Test func promptsKeepTheirKeys() {
        var e = editor("abc")
        e.apply(bound([("alt-x", .quit), ("ctrl-w", .save)]))
        _ = e.handle(.ctrl("f"))
        #expect(e.handle(.ctrl("w")) == [])  // not a save inside the prompt
        if case .prompt = e.mode {} else { Issue.record("the prompt closed: \(e.mode)") }
    }

    @Test func unboundKeysAreUnchanged() {
        let s = bound([("ctrl-w", .save)])
        for k: Key in [.char("w"), .ctrl("e"), .alt("w"), .function(3), .enter, .left] {
            #expect(s.keys.translate(k) == k)
        }
    }

    @Test func settingsApply() {
        var s = Settings()
        s.tabWidth = 4
        s.spaces = true
        s.indentWidth = 2
        s.lineNumbers = true
        s.softWrap = false
        s.mouse = false
        s.regex = true
        s.theme = .none
        var e = editor("a\tb\nfunc f() {}\n", fileName: "x.swift")
        #expect(e.syntaxLanguage != nil)
        e.apply(s)
        #expect(e.tabWidth == 4)
        #expect(!e.indentTabs)
        #expect(e.indentWidth == 2)
        #expect(e.lineNumbers)
        #expect(e.gutterWidth == 4)
        #expect(!e.softWrap)
        #expect(!e.mouse)
        #expect(e.searchRegex)
        #expect(e.syntaxLanguage == nil)
        // The screen: the gutter, then the tab to column 4.
        let g = e.render()
        #expect(g.lines[0].hasPrefix("  1 a   b"), "\(g.lines[0])")
        // A click maps through the gutter: column 4 of the screen is the text's first.
        _ = e.handle(.ctrlEnd)
        #expect(e.handle(.click(x: 5, y: 1)) == [])
        #expect(e.cursor == 16)  // ignored: mouse off
        e.mouse = true
        _ = e.handle(.click(x: 5, y: 1))
        #expect(e.cursor == 5)  // "func f": screen column 5 is the line's column 1, after the 4-column gutter
        _ = e.handle(.ctrl("f"))
        #expect(e.render().lines[23].contains(".*"))  // find starts in regex mode
    }

    @Test func aFilesOwnIndentStyleWinsOverTheSetting() {
        var s = Settings()
        s.spaces = true
        var e = editor("if a {\n\tb\n\tc\n\td\n}\n")
        e.apply(s)
        #expect(e.indentTabs)
    }
}
