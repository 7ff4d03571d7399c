import WeaveSyntax

/// Syntax colour: the language comes from the file's name, else its `#!`
/// line (`Language.detect`); the text buffer carries a `SyntaxCache`, told
/// every edit, and after each key (or remote edit, or resize) the lines down
/// to the bottom of the screen are lexed — only those whose start state is
/// not known yet, stopping where a state matches again (SyntaxCache.swift) —
/// and the screen's lines' tokens are kept (lexed again only when a line's
/// text or start state changed). Render reads them: O(screen), no lexing.
///
/// Off (`syntaxColour = false`) or for plain text, there is no cache at all.
extension Editor {
    /// The language being coloured, or nil.
    public var syntaxLanguage: Language? { doc.buffer.syntax?.language }

    /// Sets the cache up for the file's language (when the name or the
    /// switch changed) and lexes what the screen needs. O(1) when all is
    /// ready; else O(lines lexed).
    mutating func refreshSyntax() {
        if syntaxDetectedFor != fileName || (syntaxColour && doc.buffer.syntax == nil && startsWithShebang) {
            syntaxDetectedFor = fileName
            let language = syntaxColour ? Language.detect(fileName: fileName, firstLine: doc.buffer.lineScalars(0)) : nil
            if language != doc.buffer.syntax?.language {
                doc.buffer.syntax = language.map { SyntaxCache(language: $0, lineCount: doc.buffer.lineCount) }
            }
        }
        doc.buffer.prepareSyntax(through: top.line + textHeight)
        // The screen's tokens, kept while their lines do not change: a key
        // re-lexes its own line, render reuses the others.
        let shown = top.line ..< top.line + textHeight
        guard var cache = doc.buffer.syntax, !cache.keepsTokens(lines: shown) else { return }
        doc.buffer.syntax = nil  // so that the cache is not copied while it changes
        let buffer = doc.buffer
        cache.keepTokens(lines: shown) { buffer.lineScalars($0) }
        doc.buffer.syntax = cache
    }

    private var startsWithShebang: Bool {
        let s = doc.buffer.scalars
        return s.count > 2 && s[0] == "#" && s[1] == "!"
    }

    /// Turns colouring on or off (a setting).
    public mutating func setSyntaxColour(_ on: Bool) {
        syntaxColour = on
        syntaxDetectedFor = nil
        if !on { doc.buffer.syntax = nil }
        refreshSyntax()
    }

    /// The tokens of line `i` as the screen colours them (empty when plain).
    func syntaxTokens(line i: Int) -> [Token] {
        doc.buffer.syntax?.tokens(ofLine: i, doc.buffer.lineScalars(i)) ?? []
    }
}

extension Grid.Syntax {
    /// The cell colour of a token kind.
    init(_ kind: TokenKind) { self = Grid.Syntax(rawValue: Grid.Syntax.keyword.rawValue + kind.rawValue)! }
}
