/// The lexer's state at the start of every line of one text, kept across
/// edits so that colouring a screen lexes only what it must.
///
/// How it stays cheap:
/// - `edited(line:removedLines:addedLines:)` is told each edit (O(lines) for
///   the array shift, like the text's own line index). It marks the states
///   after the edited line unknown — without throwing them away.
/// - `prepare(through:line:)` lexes from the first unknown state down to the
///   line asked for (the last one on screen), and stops early at the first
///   line whose new start state equals the one it had before the edit: from
///   there on the old states are right again. A keystroke inside a line
///   therefore re-lexes that line and, usually, nothing else; opening a
///   comment re-lexes to the end of the screen only; lines below the screen
///   wait until they are shown.
/// - `tokens(ofLine:_:)` lexes one line from its cached start state:
///   O(line length), for the lines on screen — unless `keepTokens(lines:line:)`
///   kept that line's tokens: they are reused while the line's text and start
///   state stay as they were (an edit drops the edited lines' tokens and
///   renumbers the rest; a start state that lexing changes drops its line's),
///   so a keystroke re-lexes its own line and the screen reuses the others.
///
/// Laws (tested with random edits): after `prepare(through: lineCount − 1)`
/// the states equal those of a cache built on the edited text from scratch,
/// and `tokens(ofLine:)` equals `Lexer.tokens(ofText:)` line by line.
///
/// Cost: memory is one `LexState` (6 bytes, padded to 8) per line. Showing the
/// first screen of a file lexes only that screen; jumping to line N of a fresh
/// file lexes lines 0 … N once. Measured (release, one run on a shared
/// 2-core machine, a 1 MB Swift file of 15,751 lines): lexing it whole took
/// 117 ms; a keystroke's re-lex plus the tokens of a 40-line screen took
/// 0.14 ms median.
public struct SyntaxCache: Sendable {
    public let lexer: Lexer
    /// `states[i]`: the state line `i` starts in. Right for `i ≤ validThrough`;
    /// for `i > resumeAfter` they are the states from before the latest edits
    /// (right again once lexing reaches a line whose state matches); between
    /// the two, unknown.
    private(set) var states: [LexState]
    /// The last line whose start state is known to be right.
    private(set) var validThrough: Int
    /// Lines after `max(validThrough, resumeAfter)` hold states from before
    /// the edits that follow from one another (each is what lexing the line
    /// before from its state gives): once a freshly lexed state after it
    /// equals the stored one, all the rest are right.
    private(set) var resumeAfter: Int
    /// Scratch tokens for `prepare` (never read).
    private var scratch: [Token] = []
    /// The tokens of the lines `keepTokens` was last asked for (the screen),
    /// each lexed from the line's current text and start state.
    private(set) var keptTokens: [Int: [Token]] = [:]

    /// A cache for a text of `lineCount` lines (≥ 1) in `language`; nothing is
    /// lexed until `prepare`. O(lines).
    public init(language: Language, lineCount: Int) {
        lexer = Lexer(language)
        states = Array(repeating: .initial, count: max(1, lineCount))
        validThrough = 0
        resumeAfter = states.count - 1  // the placeholders are not old states: never match them
    }

    public var language: Language { lexer.language }
    public var lineCount: Int { states.count }

    /// Whether every line up to `line` has its start state.
    public func isPrepared(through line: Int) -> Bool { validThrough >= min(line, states.count - 1) }

    /// The text changed in line `line`: `removedLines` line breaks were taken
    /// out and `addedLines` put in (a typed character: 0 and 0; Enter: 0 and
    /// 1; joining two lines: 1 and 0). O(lines after `line`) for the shift.
    public mutating func edited(line: Int, removedLines: Int, addedLines: Int) {
        let line = max(0, min(line, states.count - 1))
        let removed = min(removedLines, states.count - 1 - line)
        let delta = addedLines - removed
        // Lines after `horizon` hold states that follow from one another; at
        // and before it, not (unless every state is right).
        let allRight = validThrough >= states.count - 1
        let horizon = max(validThrough, resumeAfter)
        if removed > 0 || addedLines > 0 {
            states.replaceSubrange((line + 1) ..< (line + 1 + removed),
                                   with: repeatElement(LexState.initial, count: addedLines))
            // The edited lines' tokens go; the lines after them are renumbered.
            var kept: [Int: [Token]] = [:]
            for (k, t) in keptTokens where k < line || k > line + removed { kept[k > line ? k + delta : k] = t }
            keptTokens = kept
        } else {
            keptTokens[line] = nil
        }
        // The new horizon: the old one (moved with its line) or the edited
        // lines, whichever is later. A matching state is trusted only after it.
        let moved = !allRight && horizon > line + removed ? horizon + delta : line + addedLines
        resumeAfter = min(states.count - 1, max(moved, line + addedLines))
        validThrough = min(validThrough, line)
    }

    /// Makes the start states right for every line up to `through` (clamped
    /// to the last line), lexing from the first unknown one and stopping where
    /// a state matches its old value (see the type's comment). `line(i)` gives
    /// line i's text without its newline. O(lines lexed × their length).
    public mutating func prepare(through: Int, line: (Int) -> ArraySlice<Unicode.Scalar>) {
        let target = min(through, states.count - 1)
        while validThrough < target {
            let k = validThrough
            scratch.removeAll(keepingCapacity: true)
            let end = lexer.lex(line(k), from: states[k], into: &scratch)
            if k + 1 > resumeAfter, states[k + 1] == end {
                validThrough = states.count - 1  // the old states are right from here on
                resumeAfter = validThrough
                return
            }
            if states[k + 1] != end { keptTokens[k + 1] = nil }  // lexed from another state
            states[k + 1] = end
            validThrough = k + 1
            resumeAfter = max(resumeAfter, validThrough)
        }
    }

    /// The tokens of line `i`, lexed from its cached start state; empty when
    /// that state is not prepared (the line is drawn plain). O(line length).
    public func tokens(ofLine i: Int, _ text: ArraySlice<Unicode.Scalar>) -> [Token] {
        guard i >= 0, i <= validThrough, i < states.count else { return [] }
        if let kept = keptTokens[i] { return kept }
        var out: [Token] = []
        _ = lexer.lex(text, from: states[i], into: &out)
        return out
    }

    /// Whether `keepTokens(lines:line:)` has nothing to do for `lines`: every
    /// prepared line among them has its tokens kept, and few others are.
    /// O(lines).
    public func keepsTokens(lines: Range<Int>) -> Bool {
        let shown = lines.clamped(to: 0 ..< min(states.count, validThrough + 1))
        return keptTokens.count <= 2 * shown.count + 8 && shown.allSatisfy { keptTokens[$0] != nil }
    }

    /// Keeps the tokens of the prepared lines among `lines` (the screen's),
    /// lexing those not kept yet, and forgets the others. `line(i)` gives
    /// line i's text without its newline. O(lines lexed × their length).
    public mutating func keepTokens(lines: Range<Int>, line: (Int) -> ArraySlice<Unicode.Scalar>) {
        let shown = lines.clamped(to: 0 ..< min(states.count, validThrough + 1))
        if keptTokens.count > shown.count { keptTokens = keptTokens.filter { shown.contains($0.key) } }
        for i in shown where keptTokens[i] == nil {
            var out: [Token] = []
            _ = lexer.lex(line(i), from: states[i], into: &out)
            keptTokens[i] = out
        }
    }

    /// The start state of line `i` (tests compare these with a fresh cache's).
    public func state(ofLine i: Int) -> LexState? { i <= validThrough && i < states.count ? states[i] : nil }
}
