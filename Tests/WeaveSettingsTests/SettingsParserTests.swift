import Testing
import WeaveEditor
@testable import WeaveSettings

/// settings.toml: every setting, every bad value, unknown keys, text that is
/// not TOML, and key rebinding with its conflicts.
@Suite struct SettingsParserTests {
    static let file = "~/.config/weave/settings.toml"

    func parse(_ text: String) -> SettingsParser.Outcome { SettingsParser.parse(text, file: Self.file) }

    @Test func emptyTextGivesTheDefaults() {
        let o = parse("")
        #expect(o.settings == Settings())
        #expect(o.problems.isEmpty)
        #expect(o.fromFile.isEmpty)
    }

    @Test func everySettingIsRead() {
        let o = parse("""
        # mine
        name = "Ada Lovelace"
        theme = "monochrome"
        tab_width = 4
        spaces = true
        indent_width = 2
        line_numbers = true
        soft_wrap = false
        mouse = false
        osc52 = true
        regex = true

        [keys]
        save = "ctrl-w"
        find = ["alt-f", "F7"]
        """)
        #expect(o.problems == [])
        let s = o.settings
        #expect(s.name == "Ada Lovelace")
        #expect(s.theme == .monochrome)
        #expect(s.tabWidth == 4)
        #expect(s.spaces)
        #expect(s.indentWidth == 2)
        #expect(s.lineNumbers)
        #expect(!s.softWrap)
        #expect(!s.mouse)
        #expect(s.osc52)
        #expect(s.regex)
        #expect(s.keys.translate(.ctrl("w")) == .ctrl("s"))
        #expect(s.keys.translate(.alt("f")) == .ctrl("f"))
        #expect(s.keys.translate(.alt("F")) == .ctrl("f"))  // Alt-Shift-F too
        #expect(s.keys.translate(.function(7)) == .ctrl("f"))
        #expect(s.keys.translate(.ctrl("s")) == .ctrl("s"))  // not bound: itself
        #expect(o.fromFile == Set(SettingsParser.names))
    }

    @Test func themesAreTheOnesTheRendererHas() {
        #expect(parse("theme = \"default\"").settings.theme == .default)
        #expect(parse("theme = \"none\"").settings.theme == .none)
    }

    /// Each bad value: one sentence naming the file, the line and the
    /// setting; the setting keeps its default and the others apply.
    @Test(arguments: [
        ("tab_width = 0", "tab_width must be a whole number from 1 to 16, not 0"),
        ("tab_width = 17", "tab_width must be a whole number from 1 to 16, not 17"),
        ("tab_width = \"4\"", "tab_width must be a whole number from 1 to 16, not \"4\""),
        ("indent_width = 2.5", "indent_width must be a whole number from 1 to 16, not 2.5"),
        ("spaces = \"yes\"", "spaces must be true or false, not \"yes\""),
        ("line_numbers = 1", "line_numbers must be true or false, not 1"),
        ("soft_wrap = [true]", "soft_wrap must be true or false, not a list"),
        ("mouse = \"off\"", "mouse must be true or false, not \"off\""),
        ("osc52 = 0", "osc52 must be true or false, not 0"),
        ("regex = {a = 1}", "regex must be true or false, not a table"),
        ("theme = \"solarized\"", "theme must be default, monochrome or none, not \"solarized\""),
        ("theme = true", "theme must be default, monochrome or none, not true"),
        ("name = \"\"", "name must be a name in quotes, not \"\""),
        ("name = 42", "name must be a name in quotes, not 42"),
        ("keys = \"ctrl-w\"", "keys must be a [keys] table, not \"ctrl-w\""),
    ])
    func badValueIsReportedAndTheRestApply(line: String, sentence: String) {
        // Two good settings around the bad one (not the same key: TOML refuses a key twice).
        let around = [("mouse = false", { (s: inout Settings) in s.mouse = false }),
                      ("line_numbers = true", { (s: inout Settings) in s.lineNumbers = true }),
                      ("regex = true", { (s: inout Settings) in s.regex = true })]
            .filter { !line.hasPrefix($0.0.prefix { $0 != " " }) }.prefix(2)
        let o = parse("\(around.first!.0)\n\n\(line)\n\(around.last!.0)\n")
        #expect(o.problems.count == 1)
        #expect(o.problems.first?.hasPrefix("\(Self.file) line 3: \(sentence)") == true, "\(o.problems)")
        #expect(o.problems.first!.count - Self.file.count + "settings.toml".count <= 80, "too long for the message line")
        var expected = Settings()
        for (_, apply) in around { apply(&expected) }
        #expect(o.settings == expected)
    }

    @Test func unknownKeyIsReportedWithItsLine() {
        let o = parse("tab_width = 2\ncolour = \"blue\"\nmouse = false\n")
        #expect(o.problems == ["\(Self.file) line 2: colour is not a setting; it is ignored"])
        #expect(o.settings.tabWidth == 2)
        #expect(!o.settings.mouse)
        #expect(!o.fromFile.contains("colour"))
    }

    @Test func unknownSectionIsReportedAtItsHeader() {
        let o = parse("regex = true\n\n[colors]\nfg = 1\n")
        #expect(o.problems.first?.hasPrefix("\(Self.file) line 3: colors is not a setting") == true, "\(o.problems)")
        #expect(o.settings.regex)
    }

    @Test func problemsComeInTheOrderOfTheLines() {
        let o = parse("zebra = 1\ntab_width = 99\nalpha = 2\n")
        #expect(o.problems.map { $0.prefix(Self.file.count + 7) } == ["\(Self.file) line 1", "\(Self.file) line 2", "\(Self.file) line 3"])
    }

    @Test(arguments: ["tab_width = = 4", "mouse = tru", "[keys\nsave = \"ctrl-w\"", "just words"])
    func textThatIsNotTOMLGivesTheDefaults(text: String) {
        let o = parse("regex = true\n" + text + "\n")
        #expect(o.settings == Settings())
        #expect(o.problems.count == 1)
        #expect(o.problems.first?.hasPrefix("\(Self.file) line 2 is not TOML (") == true, "\(o.problems)")
        #expect(o.problems.first?.hasSuffix("the default settings are used") == true)
    }

    @Test func aKeyGivenToTwoCommandsStaysWithTheFirst() {
        let o = parse("[keys]\nsave = \"ctrl-w\"\nquit = \"Ctrl+W\"\n")
        #expect(o.problems == ["\(Self.file) line 3: Ctrl-W is bound to both save and quit; it stays save"])
        #expect(o.settings.keys.translate(.ctrl("w")) == .ctrl("s"))
    }

    @Test func theFirstInTheFileWinsWhateverTheAlphabet() {
        // TOMLKit lists keys alphabetically: the file's order must still decide.
        let o = parse("[keys]\nundo = \"alt-u\"\nredo = \"alt-u\"\n")
        #expect(o.settings.keys.translate(.alt("u")) == .ctrl("z"))
        #expect(o.problems.first?.contains("line 3") == true)
    }

    @Test(arguments: [
        ("save = \"hyper-w\"", "\"hyper-w\" is not a key name"),
        ("save = \"f13\"", "\"f13\" is not a key name"),
        ("save = \"w\"", "\"w\" is a character that types itself"),
        ("save = \"ctrl-i\"", "ctrl-i is Tab in a terminal"),
        ("save = \"ctrl-m\"", "ctrl-m is Enter in a terminal"),
        ("save = 3", "the key of save must be a key name in quotes"),
        ("save = []", "the key of save must be a key name in quotes"),
        ("frobnicate = \"ctrl-e\"", "frobnicate is not a command that keys can be bound to"),
    ])
    func badBindingIsReportedAndTheOthersApply(line: String, sentence: String) {
        let o = parse("[keys]\nfind = \"alt-f\"\n\(line)\n")
        #expect(o.problems.count == 1)
        #expect(o.problems.first?.hasPrefix("\(Self.file) line 3: \(sentence)") == true, "\(o.problems)")
        #expect(o.settings.keys.translate(.alt("f")) == .ctrl("f"))
        #expect(o.settings.keys.commands.count == 1)
    }

    @Test func dottedKeysFindTheirLine() {
        let o = parse("regex = true\nkeys.save = \"nope-w\"\n")
        #expect(o.problems.first?.hasPrefix("\(Self.file) line 2: ") == true, "\(o.problems)")
    }

    @Test func everyCommandCanBeBoundAndReachesItsBuiltInKey() {
        var text = "[keys]\n"
        for (i, c) in EditorCommand.allCases.enumerated() { text += "\(c.name) = \"f\(i % 12 + 1)\"\n" }
        // 28 commands on 12 function keys: the first 12 bind, the rest collide.
        let o = parse(text)
        #expect(o.settings.keys.commands.count == 12)
        #expect(o.problems.count == EditorCommand.allCases.count - 12)
        for (i, c) in EditorCommand.allCases.prefix(12).enumerated() {
            #expect(o.settings.keys.translate(.function(i + 1)) == c.builtInKey)
        }
    }
}
