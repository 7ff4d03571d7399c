import Testing
import WeaveCore
@testable import WeaveEditor
@testable import WeaveSyntax

/// Syntax colour on the screen model: which cells carry which `Grid.Syntax`,
/// what wins over it (selection, the match, peers), and that edits keep the
/// colours right (a block comment opened and closed by typing).
struct SyntaxColourTests {
    /// The syntax colour of the first cell showing `text` on row `y`.
    func colour(_ grid: Grid, row y: Int, at text: String) -> Grid.Syntax? {
        let line = grid.rows[y].map(\.text).joined()
        guard let r = line.range(of: text) else { return nil }
        let x = line.distance(from: line.startIndex, to: r.lowerBound)
        return Grid.Syntax(rawValue: grid.rows[y][x].colour)
    }

    @Test func swiftKeywordsStringsCommentsAreColoured() {
        let e = Editor(fileName: "main.swift", text: "let s = \"hi\" // note\nvar n = 42")
        #expect(e.syntaxLanguage == .swift)
        let g = e.render()
        #expect(colour(g, row: 0, at: "let") == .keyword)
        #expect(colour(g, row: 0, at: "\"hi\"") == .string)
        #expect(colour(g, row: 0, at: "// note") == .comment)
        #expect(colour(g, row: 1, at: "42") == .number)
        #expect(colour(g, row: 0, at: "s =") == nil)
    }

    @Test func plainTextAndTheSwitchOff() {
        #expect(Editor(fileName: "notes.txt", text: "let x").syntaxLanguage == nil)
        var e = Editor(fileName: "a.py", text: "def f(): pass")
        e.setSyntaxColour(false)
        #expect(e.syntaxLanguage == nil)
        #expect(colour(e.render(), row: 0, at: "def") == nil)
        e.setSyntaxColour(true)
        #expect(colour(e.render(), row: 0, at: "def") == .keyword)
    }

    @Test func aShebangPicksTheLanguage() {
        let e = Editor(fileName: "deploy", text: "#!/bin/sh\nif true; then echo; fi")
        #expect(e.syntaxLanguage == .shell)
        #expect(colour(e.render(), row: 1, at: "if") == .keyword)
    }

    @Test func typingABlockCommentRecoloursTheLinesBelow() {
        var e = Editor(fileName: "a.c", text: "int a;\nint b;\nint c;")
        for k: Key in [.char("/"), .char("*")] { _ = e.handle(k) }
        var g = e.render()
        #expect(colour(g, row: 1, at: "int b") == .comment)
        #expect(colour(g, row: 2, at: "int c") == .comment)
        for k: Key in [.down, .end, .char("*"), .char("/")] { _ = e.handle(k) }
        g = e.render()
        #expect(colour(g, row: 1, at: "int b") == .comment)
        #expect(colour(g, row: 2, at: "int") == .type)
        _ = e.handle(.ctrl("z"))
        g = e.render()
        #expect(colour(g, row: 2, at: "int c") == .comment)
    }

    @Test func selectionAndMatchWinOverSyntax() {
        var e = Editor(fileName: "a.swift", text: "let x = 1")
        _ = e.handle(.shift(.right))
        var g = e.render()
        #expect(g.rows[0][0].attributes.contains(.reverse))
        #expect(g.rows[0][0].colour == 0)
        _ = e.handle(.escape)
        for k: Key in [.ctrl("f"), .char("x"), .enter] { _ = e.handle(k) }
        g = e.render()
        #expect(g.rows[0][4].colour == Grid.Colour.yellow.rawValue)
    }

    @Test func remoteEditsKeepColoursRight() throws {
        var a = Editor(fileName: "a.c", text: "", replica: ReplicaID(1))
        var b = Editor(fileName: "a.c", text: "", replica: ReplicaID(2))
        func send(_ keys: [Key]) throws {
            for k in keys {
                for case .broadcast(let ops) in a.handle(k) { try b.receive(ops) }
            }
        }
        try send("x\nint b;".unicodeScalars.map { $0 == "\n" ? .enter : .char($0) })
        #expect(colour(b.render(), row: 1, at: "int") == .type)
        try send([.ctrlHome, .char("/"), .char("*")])
        #expect(colour(b.render(), row: 1, at: "int b") == .comment)
        try b.checkInvariants()
    }
}
