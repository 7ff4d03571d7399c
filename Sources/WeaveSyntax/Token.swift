/// What a stretch of a line is, for colouring. Plain text has no token.
public enum TokenKind: UInt8, Sendable, CaseIterable {
    /// A reserved word of the language (`func`, `if`, `return`).
    case keyword
    /// A type name: a built-in one (`Int`, `u8`) or, in languages that
    /// capitalise them, any capitalised identifier.
    case type
    /// A string or character literal, quotes included.
    case string
    /// A comment, its opening characters included.
    case comment
    /// A number literal (`42`, `0x1F`, `1.5e3`, `#fff` in CSS).
    case number
    /// Everything else worth telling apart: attributes (`@main`), the
    /// preprocessor (`#include`), keys (JSON, YAML, TOML), variables in shell
    /// and Makefiles, HTML attributes, diff headers and hunk lines.
    case meta
    /// A Markdown heading, a TOML table header, an HTML tag name.
    case heading
    /// Markdown code: a fenced block's lines and `inline code`.
    case code
    /// A diff's added line.
    case added
    /// A diff's removed line.
    case removed
}

/// One coloured stretch of a line: scalar offsets `start ..< end` within the
/// line (no newline), and what it is. Tokens of a line are in order and never
/// overlap; text between them is plain.
public struct Token: Sendable, Equatable {
    public var start: Int
    public var end: Int
    public var kind: TokenKind
    public init(_ start: Int, _ end: Int, _ kind: TokenKind) {
        self.start = start
        self.end = end
        self.kind = kind
    }
}

/// What the lexer carries from the end of one line to the start of the next:
/// an open block comment (and its nesting depth), an open multi-line string
/// (which delimiter), a Markdown code fence, an HTML tag or comment left open,
/// CSS brace depth. `.initial` is the state at the top of every file.
///
/// Two states are equal exactly when lexing the same line from them gives
/// the same tokens and end state: `SyntaxCache` stops re-lexing after an edit
/// at the first line whose new start state equals the one it had before.
public struct LexState: Hashable, Sendable {
    enum Mode: UInt8, Sendable {
        case normal, blockComment, string, fence, tag, markupComment
    }
    var mode: Mode = .normal
    /// Which delimiter opened the string or fence (an index into the rules).
    var which: UInt8 = 0
    /// Nesting depth of an open block comment (Swift and Rust nest them).
    var depth: UInt16 = 0
    /// CSS: how many braces are open (a property name is coloured inside them).
    var braces: UInt16 = 0

    public static let initial = LexState()
}
