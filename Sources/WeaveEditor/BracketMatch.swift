import WeaveSyntax

/// Bracket matching: a bracket next to the cursor — `(`, `)`, `[`, `]`, `{`,
/// `}` at the cursor, else just before it — and its match are drawn bold and
/// underlined.
///
/// Bounded: the search looks at most `BracketMatch.limit` (20,000) scalars
/// away and never past the lines on the screen, so a key next to a bracket
/// costs O(screen) however large the file; a match farther away is not shown.
/// In a coloured file, brackets inside strings and comments are skipped (the
/// tokens of the screen's lines, which the screen lexes anyway), and a
/// bracket at the cursor that is itself in a string or comment is not matched.
/// In plain text every bracket counts.
public enum BracketMatch {
    /// The farthest the search looks, in scalars.
    public static let limit = 20_000

    /// The partner of `u` and whether the partner comes after it, or nil
    /// when `u` is not a bracket.
    static func partner(_ u: Unicode.Scalar) -> (Unicode.Scalar, forward: Bool)? {
        switch u {
        case "(": return (")", true)
        case "[": return ("]", true)
        case "{": return ("}", true)
        case ")": return ("(", false)
        case "]": return ("[", false)
        case "}": return ("{", false)
        default: return nil
        }
    }

    /// The index of the bracket matching the one at `i` in `text`, looking
    /// only within `bounds` and at most `limit` scalars away, skipping indices
    /// for which `skip` is true; nil when `text[i]` is not a bracket or no
    /// match is found within the bounds. Counts nesting of the same kind of
    /// bracket only (`( [ )` matches). O(min(limit, bounds)).
    public static func match<C: RandomAccessCollection<Unicode.Scalar>>(
        in text: C, at i: Int, within bounds: Range<Int>, limit: Int = limit,
        skip: (Int) -> Bool = { _ in false }
    ) -> Int? where C.Index == Int {
        guard bounds.contains(i), let (other, forward) = partner(text[i]) else { return nil }
        let open = text[i]
        var depth = 0
        var j = i
        let end = forward ? min(bounds.upperBound, i + limit + 1) : max(bounds.lowerBound - 1, i - limit - 1)
        while true {
            j += forward ? 1 : -1
            if j == end { return nil }
            let u = text[j]
            guard u == open || u == other, !skip(j) else { continue }
            if u == open {
                depth += 1
            } else if depth == 0 {
                return j
            } else {
                depth -= 1
            }
        }
    }
}

extension Editor {
    /// The bracket next to the cursor (at it, else just before it) and its
    /// match, as text indices, or nil. `tokens(line)` gives a line's syntax
    /// tokens (render passes its own, cached); brackets in string and comment
    /// tokens are skipped. See `BracketMatch` for the bound. O(screen).
    func bracketPair(tokens: (Int) -> [Token]) -> (Int, Int)? {
        let b = doc.buffer
        guard b.count > 0 else { return nil }
        let firstLine = top.line
        let lastLine = min(b.lineCount - 1, top.line + textHeight - 1)
        let bounds = b.lineStarts[firstLine] ..< (lastLine + 1 < b.lineCount ? b.lineStarts[lastLine + 1] : b.count)
        let coloured = doc.buffer.syntax != nil
        func quoted(_ i: Int) -> Bool {
            guard coloured else { return false }
            let line = b.line(of: i)
            let offset = i - b.lineStarts[line]
            return tokens(line).contains { ($0.kind == .string || $0.kind == .comment) && $0.start <= offset && offset < $0.end }
        }
        for i in [doc.cursor, doc.cursor - 1] where i >= 0 && i < b.count {
            guard BracketMatch.partner(b.scalars[i]) != nil else { continue }
            if quoted(i) { return nil }
            guard let j = BracketMatch.match(in: b.scalars, at: i, within: bounds, skip: quoted) else { return nil }
            return (i, j)
        }
        return nil
    }
}
