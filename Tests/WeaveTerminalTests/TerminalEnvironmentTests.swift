import Testing
import WeaveEditor
import WeaveTestSupport
@preconcurrency import CNcurses
@testable import WeaveTerminal

/// Input is decoded as UTF-8 by Weave itself, byte by byte, so no locale can
/// make it drop a typed character.
@Suite struct ByteDecodingTests {
    /// Every scalar of a random text, its UTF-8 bytes cut into reads at random
    /// places (a character may span two reads), comes out as that character.
    @Test(arguments: [UInt64(37), 0xBEEF, 2026])
    func randomTextSplitAnywhere(fixed: UInt64) {
        let seed = TestSeed.pick(fixed)
        var rng = SeededRandom(seed: seed)
        let alphabet = TestText.alphabet.filter { $0 != "\n" } + Array("ñü漢字テスト😀🙂€ß".unicodeScalars)
        for _ in 0 ..< 50 {
            let text = (0 ..< rng.int(1 ... 40)).map { _ in alphabet[rng.int(0 ..< alphabet.count)] }
            let bytes = Array(String(String.UnicodeScalarView(text)).utf8)
            var d = KeyDecoder()
            var keys: [Key] = []
            for b in bytes {
                d.feedByte(b, into: &keys)
                if rng.chance(0.3) { d.finish(into: &keys) }  // the end of a read
            }
            d.finish(into: &keys)
            #expect(keys == text.map { .char($0) }, "seed \(seed)")
        }
    }

    @Test func controlsEscapeAndAltStillWork() {
        var d = KeyDecoder()
        var keys: [Key] = []
        for b: UInt8 in [13, 17, 27, 0xC3, 0xA9, 27] { d.feedByte(b, into: &keys) }
        d.finish(into: &keys)
        #expect(keys == [.enter, .ctrl("q"), .alt("é"), .escape])
    }

    /// Bytes that are not UTF-8 are kept (as Latin-1, or U+FFFD for the C1
    /// range), never dropped: a stray lead byte, a sequence cut by another
    /// byte or by a function key, an overlong form, a surrogate.
    @Test func invalidBytesAreKeptNotDropped() {
        var d = KeyDecoder()
        var keys: [Key] = []
        for b: UInt8 in [0xE9, 0x61] { d.feedByte(b, into: &keys) }         // Latin-1 é, then a
        for b: UInt8 in [0xE6, 0xBC, 0x62] { d.feedByte(b, into: &keys) }   // a CJK lead cut short by b
        d.feedByte(0xC3, into: &keys)
        d.feedCode(KEY_UP, into: &keys)                                        // a key cuts a sequence
        for b: UInt8 in [0xC0, 0xAF] { d.feedByte(b, into: &keys) }         // overlong '/'
        for b: UInt8 in [0xED, 0xA0, 0x80] { d.feedByte(b, into: &keys) }   // a surrogate
        d.finish(into: &keys)
        #expect(keys == [.char("é"), .char("a"), .char("æ"), .char("¼"), .char("b"), .char("Ã"), .up,
                         .char("À"), .char("¯"), .char("í"), .char("\u{A0}"), .char("\u{FFFD}")])
    }

    /// Inside a bracketed paste the bytes are decoded too, and the paste is one key.
    @Test func pasteOfMultibyteText() {
        var d = KeyDecoder()
        var keys: [Key] = []
        d.feedCode(KeyDecoder.Code.pasteStart.rawValue, into: &keys)
        for b in Array("ñ漢😀".utf8) { d.feedByte(b, into: &keys) }
        d.feedCode(KeyDecoder.Code.pasteEnd.rawValue, into: &keys)
        #expect(keys == [.paste("ñ漢😀")])
    }
}

/// The UTF-8 locale Weave switches to when the environment's is not UTF-8.
@Suite struct TextLocaleTests {
    @Test func theUsersLanguageFirstThenCUTF8ThenInstalled() {
        let c = TextLocale.candidates(current: "de_DE.ISO-8859-1", installed: ["fr_FR", "sv_SE.utf8", "C.utf8", "ja_JP.eucJP"])
        #expect(Array(c.prefix(4)) == ["de_DE.UTF-8", "de_DE.utf8", "C.UTF-8", "C.utf8"])
        #expect(c.contains("sv_SE.utf8"))
        #expect(!c.contains("fr_FR") && !c.contains("ja_JP.eucJP"), "only UTF-8 locales are tried")
    }

    @Test func plainCAndPOSIXGoToCUTF8() {
        for current in ["C", "POSIX"] {
            #expect(TextLocale.candidates(current: current, installed: []).first == "C.UTF-8")
        }
    }

    /// The candidates are tried in order until one exists; none: nil (the
    /// status line says so, input is still decoded as UTF-8).
    @Test func theFirstThatExistsIsTaken() {
        let names = TextLocale.candidates(current: "C", installed: ["sv_SE.utf8", "fr_FR.UTF-8"])
        var tried: [String] = []
        let found = TextLocale.firstUTF8(of: names) { tried.append($0); return $0 == "fr_FR.UTF-8" || $0 == "sv_SE.utf8" }
        #expect(found == "fr_FR.UTF-8", "installed names are tried in name order after C.UTF-8")
        #expect(tried == ["C.UTF-8", "C.utf8", "fr_FR.UTF-8"])
        #expect(TextLocale.firstUTF8(of: names) { _ in false } == nil)
    }

    @Test func utf8Names() {
        #expect(TextLocale.isUTF8Name("C.utf8") && TextLocale.isUTF8Name("en_GB.UTF-8") && TextLocale.isUTF8Name("sr_RS.utf8@latin"))
        #expect(!TextLocale.isUTF8Name("C") && !TextLocale.isUTF8Name("de_DE.ISO-8859-1") && !TextLocale.isUTF8Name("locale-archive"))
    }
}

/// Terminals Weave cannot drive are named and refused; the ones it can are not.
@Suite struct TermRefusalTests {
    @Test func unsetUnknownAndDumbAreRefusedWithTheValueAndWhatToSet() {
        let cases: [(String?, TerminalError)] = [
            (nil, .termUnset), ("", .termUnset),
            ("no-such-terminal-37", .unknownTerm("no-such-terminal-37")),
            ("dumb", .cannotAddressCursor("dumb")),
        ]
        for (term, expected) in cases {
            let refusal = Terminal.termRefusal(term)
            #expect(refusal == expected, "TERM=\(term ?? "(unset)")")
            let sentence = refusal?.description ?? ""
            #expect(sentence.contains("TERM=xterm-256color"), "says what to set: \(sentence)")
            if let term, !term.isEmpty { #expect(sentence.contains("TERM=\(term) "), "names the value: \(sentence)") }
        }
    }

    @Test(arguments: ["xterm-256color", "xterm", "linux", "vt100", "screen-256color", "tmux-256color"])
    func drivableTerminalsPass(term: String) {
        #expect(Terminal.termRefusal(term) == nil)
    }

    /// terminfo keeps one global terminal; checks from many threads at once
    /// (as the test runner and any embedding make) must neither crash nor mix
    /// up their answers.
    @Test func checksFromManyThreadsAtOnceKeepTheirAnswers() async {
        let terms: [(String, Bool)] = [("xterm-256color", true), ("dumb", false), ("vt100", true), ("no-such-terminal-37", false)]
        let wrong = await withTaskGroup(of: Int.self) { group in
            for t in 0 ..< 8 {
                group.addTask {
                    var wrong = 0
                    for i in 0 ..< 300 {
                        let (term, drivable) = terms[(t + i) % terms.count]
                        if (Terminal.termRefusal(term) == nil) != drivable { wrong += 1 }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(wrong == 0)
    }
}

/// How a cell's colour is shown: a colour pair with colours (8 are enough to
/// tell every peer apart), bold without (so peers still stand out).
@Suite struct CellAttributeTests {
    @Test func eightColoursTellEveryPeerApart() {
        let shown = Set(Grid.Colour.authorPalette.map {
            Terminal.cellAttributes(Grid.Cell("x", attributes: .underline, colour: $0.rawValue), colours: true)
        })
        #expect(shown.count == Grid.Colour.authorPalette.count)
        #expect(Grid.Colour.allCases.allSatisfy { $0.rawValue < 8 }, "every colour is one of the 8 basic ones")
    }

    @Test func monochromeUsesReverseUnderlineAndBold() {
        let text = Terminal.cellAttributes(Grid.Cell("x"), colours: false)
        let ownSelection = Terminal.cellAttributes(Grid.Cell("x", attributes: .reverse), colours: false)
        let peerCursor = Terminal.cellAttributes(Grid.Cell("x", attributes: .reverse, colour: Grid.Colour.author(0).rawValue), colours: false)
        let peerSelection = Terminal.cellAttributes(Grid.Cell("x", attributes: .underline, colour: Grid.Colour.author(1).rawValue), colours: false)
        let badge = Terminal.cellAttributes(Grid.Cell("x", colour: Grid.Colour.author(2).rawValue), colours: false)
        #expect(Set([text, ownSelection, peerCursor, peerSelection, badge]).count == 5, "each is drawn differently")
        #expect(peerCursor & Int(weave_a_reverse()) != 0 && peerCursor & Int(weave_a_bold()) != 0)
        #expect(peerSelection & Int(weave_a_underline()) != 0)
        #expect(ownSelection & Int(weave_a_reverse()) != 0 && ownSelection & Int(weave_a_bold()) == 0)
    }
}
