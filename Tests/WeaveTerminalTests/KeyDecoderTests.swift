import Testing
import WeaveEditor
import CNcurses
@testable import WeaveTerminal

/// Key decoding without a terminal: ncurses' codes and characters in, `Key`s out.
@Suite struct KeyDecoderTests {
    func decode(_ feed: (inout KeyDecoder, inout [Key]) -> Void) -> [Key] {
        var d = KeyDecoder()
        var keys: [Key] = []
        feed(&d, &keys)
        return keys
    }

    @Test func controlCharacters() {
        let keys = decode { d, k in
            for v: UInt32 in [13, 10, 9, 127, 8, 27, 17, 19, 0x65, 0x65E5] { d.feedChar(v, into: &k) }
        }
        #expect(keys == [.enter, .enter, .tab, .backspace, .backspace, .escape, .ctrl("q"), .ctrl("s"),
                         .char("e"), .char("日")])
    }

    @Test func functionKeysAndOurCodes() {
        let keys = decode { d, k in
            d.feedCode(KEY_UP, into: &k)
            d.feedCode(KEY_F0 + 1, into: &k)
            d.feedCode(KEY_NPAGE, into: &k)
            d.feedCode(KeyDecoder.Code.ctrlLeft.rawValue, into: &k)
            d.feedCode(KeyDecoder.Code.ctrlEnd.rawValue, into: &k)
        }
        #expect(keys == [.up, .function(1), .pageDown, .ctrlLeft, .ctrlEnd])
    }

    @Test func bracketedPasteIsOneKeyEvenAcrossReads() {
        var d = KeyDecoder()
        var first: [Key] = []
        d.feedCode(KeyDecoder.Code.pasteStart.rawValue, into: &first)
        for u in "a\u{11}b\r".unicodeScalars { d.feedChar(u.value, into: &first) }
        #expect(first.isEmpty)
        var second: [Key] = []
        d.feedChar(0x65E5, into: &second)
        d.feedCode(KeyDecoder.Code.pasteEnd.rawValue, into: &second)
        d.feedChar(0x78, into: &second)
        #expect(second == [.paste("a\u{11}b\r日"), .char("x")])
    }
}

/// Alt keys arrive as Esc and a character in one read; Esc alone is Esc once
/// the read ends; Ctrl-_ and Ctrl-\ are keys of their own.
@Suite struct AltKeyDecoderTests {
    @Test func escThenACharacterIsAlt() {
        var d = KeyDecoder()
        var keys: [Key] = []
        for v: UInt32 in [27, 0x67, 27, 0x52, 31, 28] { d.feedChar(v, into: &keys) }
        d.finish(into: &keys)
        #expect(keys == [.alt("g"), .alt("R"), .ctrl("_"), .ctrl("\\")])
    }

    @Test func escAloneIsEscAtTheEndOfARead() {
        var d = KeyDecoder()
        var keys: [Key] = []
        d.feedChar(27, into: &keys)
        #expect(keys.isEmpty)
        d.finish(into: &keys)
        #expect(keys == [.escape])
        var more: [Key] = []
        d.feedChar(0x67, into: &more)
        d.finish(into: &more)
        #expect(more == [.char("g")], "a character in the next read is typed, not Alt")
    }

    @Test func escBeforeAFunctionKeyStaysEsc() {
        var d = KeyDecoder()
        var keys: [Key] = []
        d.feedChar(27, into: &keys)
        d.feedCode(KEY_UP, into: &keys)
        #expect(keys == [.escape, .up])
    }
}
