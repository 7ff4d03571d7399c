import Testing
@testable import WeaveSyntax

/// Examples: what each language's lines colour as, in a tiny notation —
/// each token written as `kind:text`.
struct LexerTests {
    /// The tokens of `text` (several lines allowed), as "kind:text" strings.
    func lex(_ language: Language, _ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        let lines = Lexer(language).tokens(ofText: scalars)
        var out: [String] = []
        var start = 0
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let s = Array(line.unicodeScalars)
            for t in lines[n] { out.append("\(t.kind):\(String(String.UnicodeScalarView(s[t.start ..< t.end])))") }
            start += s.count + 1
        }
        return out
    }

    @Test func swift() {
        #expect(lex(.swift, "let x = \"a\\\"b\" // note") == ["keyword:let", "string:\"a\\\"b\"", "comment:// note"])
        #expect(lex(.swift, "@MainActor func f(_ n: Int) -> 0x1F") == ["meta:@MainActor", "keyword:func", "type:Int", "number:0x1F"])
        #expect(lex(.swift, "/* a /* nested */ still\nin */ var") == ["comment:/* a /* nested */ still", "comment:in */", "keyword:var"])
        #expect(lex(.swift, "s = \"\"\"\nbody \\(x)\n\"\"\" + 1..<5")
            == ["string:\"\"\"", "string:body \\(x)", "string:\"\"\"", "number:1", "number:5"])
        #expect(lex(.swift, "#if DEBUG") == ["meta:#if", "type:DEBUG"])
    }

    @Test func python() {
        #expect(lex(.python, "def f(x): # hi\n    return 'it''s' + 1.5e-3")
            == ["keyword:def", "comment:# hi", "keyword:return", "string:'it'", "string:'s'", "number:1.5e-3"])
        #expect(lex(.python, "s = '''one\ntwo''' if True else None")
            == ["string:'''one", "string:two'''", "keyword:if", "keyword:True", "keyword:else", "keyword:None"])
    }

    @Test func cAndGoAndRust() {
        #expect(lex(.c, "#include <stdio.h>\nint main(void) { return 0; } /* x") ==
                ["meta:#include", "type:int", "type:void", "keyword:return", "number:0", "comment:/* x"])
        #expect(lex(.go, "x := `raw\nline` // c") == ["string:`raw", "string:line`", "comment:// c"])
        #expect(lex(.rust, "fn f<'a>(c: char) -> u8 { 'x' }") == ["keyword:fn", "meta:'a", "type:char", "type:u8", "string:'x'"])
    }

    @Test func shellAndMake() {
        #expect(lex(.shell, "if [ \"$HOME\" ]; then echo a#b # c; fi")
            == ["keyword:if", "string:\"$HOME\"", "keyword:then", "comment:# c; fi"])
        #expect(lex(.shell, "echo ${x:-1} $1") == ["meta:${x:-1}", "meta:$1"])
        #expect(lex(.makefile, "CC := gcc\nall: $(OBJ)\n\t$(CC) -o $@ # link")
            == ["meta:CC", "heading:all", "meta:$(OBJ)", "meta:$(CC)", "meta:$@", "comment:# link"])
    }

    @Test func dataFormats() {
        #expect(lex(.json, "{\"a\": [1, true, \"s\"]}") == ["meta:\"a\"", "number:1", "keyword:true", "string:\"s\""])
        #expect(lex(.yaml, "- name: x # c\n  on: true") == ["meta:name", "comment:# c", "meta:on", "keyword:true"])
        #expect(lex(.toml, "[server]\nport = 80\ns = \"\"\"\nx\"\"\"")
            == ["heading:[server]", "meta:port", "number:80", "meta:s", "string:\"\"\"", "string:x\"\"\""])
    }

    @Test func markup() {
        #expect(lex(.markdown, "# Title\nsome `code` and [a](http://x)\n```swift\nlet x\n```\n- item")
            == ["heading:# Title", "code:`code`", "meta:http://x", "code:```swift", "code:let x", "code:```", "keyword:-"])
        #expect(lex(.html, "<a href=\"x\"\n  id=y>t&amp;<!-- c\n-->")
            == ["heading:<a", "meta:href", "string:\"x\"", "meta:id", "meta:y", "heading:>", "number:&amp;", "comment:<!-- c", "comment:-->"])
        #expect(lex(.css, "a.b { color: #fff; width: 10px } /* c */")
            == ["type:.b", "meta:color", "number:#fff", "meta:width", "number:10px", "comment:/* c */"])
        #expect(lex(.diff, "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n z")
            == ["heading:--- a", "heading:+++ b", "meta:@@ -1 +1 @@", "removed:-x", "added:+y"])
    }

    @Test func detection() {
        #expect(Language.detect(fileName: "src/main.swift") == .swift)
        #expect(Language.detect(fileName: "Makefile") == .makefile)
        #expect(Language.detect(fileName: "a.TSX") == .typescript)
        #expect(Language.detect(fileName: "run", firstLine: "#!/usr/bin/env python3".unicodeScalars) == .python)
        #expect(Language.detect(fileName: "run", firstLine: "#!/bin/bash -e".unicodeScalars) == .shell)
        #expect(Language.detect(fileName: "notes.txt", firstLine: "hello".unicodeScalars) == nil)
        #expect(Language.detect(fileName: ".hidden") == nil)
    }
}
