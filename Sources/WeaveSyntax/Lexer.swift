/// The incremental lexer: one line at a time, from the state the line before
/// left, to tokens and the state the next line starts in. The same lexer,
/// driven by `Rules`, serves every programming and configuration language;
/// Markdown, HTML and diff have their own line functions (Lexer+Markup.swift).
///
/// Pure and deterministic: the same line from the same state always gives the
/// same tokens and end state (what lets `SyntaxCache` stop re-lexing as soon
/// as a state matches the one it had). It never fails: text it does not
/// understand is plain.
public struct Lexer: Sendable {
    public let language: Language
    let rules: Rules
    /// `rules.keywords` and `rules.types`, keyed without strings.
    let keywordKeys: Set<WordKey>
    let typeKeys: Set<WordKey>

    public init(_ language: Language) {
        self.language = language
        rules = Rules.of(language)
        keywordKeys = WordKey.keys(rules.keywords)
        typeKeys = WordKey.keys(rules.types)
    }

    /// Lexes `line` (one line, without its newline) starting in `state`:
    /// appends its tokens, in order, to `tokens`, and returns the state the
    /// next line starts in. O(line length); each identifier is packed
    /// into a `WordKey` and hashed once to look it up among the keywords.
    public func lex(_ line: ArraySlice<Unicode.Scalar>, from state: LexState, into tokens: inout [Token]) -> LexState {
        let t = LineText(line)
        switch language {
        case .markdown: return lexMarkdown(t, state, &tokens)
        case .html: return lexHTML(t, state, &tokens)
        case .diff: lexDiff(t, &tokens); return .initial
        default: return lexCode(t, state, &tokens)
        }
    }

    /// The tokens of a whole text lexed from the top, line by line: the
    /// reference the incremental cache is tested against. O(n).
    public func tokens(ofText text: [Unicode.Scalar]) -> [[Token]] {
        var out: [[Token]] = []
        var state = LexState.initial
        var start = 0
        for i in 0 ... text.count where i == text.count || text[i] == "\n" {
            var line: [Token] = []
            state = lex(text[start ..< i], from: state, into: &line)
            out.append(line)
            start = i + 1
        }
        return out
    }

    // MARK: Code

    private func lexCode(_ t: LineText, _ start: LexState, _ out: inout [Token]) -> LexState {
        let r = rules, n = t.count
        var st = start
        var i = 0
        switch st.mode {
        case .blockComment:
            let (end, depth) = closeComment(t, from: 0, depth: Int(st.depth))
            guard let end else { out.append(Token(0, n, .comment)); st.depth = UInt16(clamping: depth); return st }
            out.append(Token(0, end, .comment))
            i = end
        case .string:
            let d = r.longStrings[Int(st.which)]
            guard let end = closeString(t, from: 0, d) else { out.append(Token(0, n, .string)); return st }
            out.append(Token(0, end, .string))
            i = end
        default:
            break
        }
        st.mode = .normal
        st.depth = 0
        st.which = 0
        var first = i == 0  // nothing but spaces before i on this line
        scanning: while i < n {
            let c = t[i]
            if c == " " || c == "\t" { i += 1; continue }
            let atStart = first
            first = false
            if r.keyBeforeColon, language == .yaml, atStart, c == "-", i + 1 == n || t[i + 1] == " " {
                first = true  // `- key: value`
                i += 1
                continue
            }
            for p in r.lineComments where t.has(p, at: i) {
                if r.hashNeedsSpace, i > 0, t[i - 1] != " ", t[i - 1] != "\t" { continue }
                out.append(Token(i, n, .comment))
                return st
            }
            if !r.blockOpen.isEmpty, t.has(r.blockOpen, at: i) {
                let (end, depth) = closeComment(t, from: i + r.blockOpen.count, depth: 1)
                guard let end else {
                    out.append(Token(i, n, .comment))
                    st.mode = .blockComment
                    st.depth = UInt16(clamping: depth)
                    return st
                }
                out.append(Token(i, end, .comment))
                i = end
                continue
            }
            for (k, d) in r.longStrings.enumerated() where t.has(d, at: i) {
                guard let end = closeString(t, from: i + d.count, d) else {
                    out.append(Token(i, n, .string))
                    st.mode = .string
                    st.which = UInt8(k)
                    return st
                }
                out.append(Token(i, end, isKey(t, after: end, atStart: atStart) ? .meta : .string))
                i = end
                continue scanning
            }
            if r.quotes.contains(c) {
                let end = closeString(t, from: i + 1, [c]) ?? n
                out.append(Token(i, end, isKey(t, after: end, atStart: atStart) ? .meta : .string))
                i = end
                continue
            }
            if r.rustChars, c == "'" {
                if i + 1 < n, t[i + 1] == "\\" {
                    let end = closeString(t, from: i + 1, ["'"]) ?? n
                    out.append(Token(i, end, .string))
                    i = end
                } else if i + 2 < n, t[i + 2] == "'" {
                    out.append(Token(i, i + 3, .string))
                    i += 3
                } else {
                    let end = t.identifierEnd(from: i + 1)
                    out.append(Token(i, end, .meta))  // a lifetime
                    i = end
                }
                continue
            }
            if LineText.isDigit(c) || (c == "." && i + 1 < n && LineText.isDigit(t[i + 1])) {
                let end = numberEnd(t, from: i)
                out.append(Token(i, end, .number))
                i = end
                continue
            }
            if LineText.isIdentifierStart(c) {
                let end = t.identifierEnd(from: i, dashes: r.css || language == .yaml || language == .toml || language == .makefile)
                if let kind = wordKind(t, i, end, atStart: atStart, st) { out.append(Token(i, end, kind)) }
                i = end
                continue
            }
            if (r.atMeta && c == "@") || (r.hashMeta && c == "#"), i + 1 < n, LineText.isIdentifierStart(t[i + 1]) {
                let end = t.identifierEnd(from: i + 1, dashes: r.css)
                out.append(Token(i, end, .meta))
                i = end
                continue
            }
            if r.css {
                if c == "{" { st.braces &+= 1 }
                if c == "}" { st.braces = st.braces > 0 ? st.braces - 1 : 0 }
                if c == "#" || c == ".", i + 1 < n, LineText.isIdentifierStart(t[i + 1]) || LineText.isDigit(t[i + 1]) {
                    let end = t.identifierEnd(from: i + 1, dashes: true)
                    out.append(Token(i, end, st.braces > 0 && c == "#" ? .number : .type))
                    i = end
                    continue
                }
            }
            if r.dollarMeta, c == "$", i + 1 < n {
                let end = variableEnd(t, from: i)
                out.append(Token(i, end, .meta))
                i = end
                continue
            }
            if r.tableHeaders, atStart, c == "[" {
                var end = i + 1
                while end < n, t[end] != "]" { end += 1 }
                while end < n, t[end] == "]" { end += 1 }
                out.append(Token(i, end, .heading))
                i = end
                continue
            }
            i += 1
        }
        return st
    }

    /// The kind of the word `t[start ..< end]`, or nil when it is plain.
    private func wordKind(_ t: LineText, _ start: Int, _ end: Int, atStart: Bool, _ st: LexState) -> TokenKind? {
        let r = rules
        let next = t.nextNonSpace(from: end)
        let after = next.map { t[$0] }
        if r.keyBeforeColon, language == .yaml, atStart, after == ":",
           next! + 1 == t.count || t[next! + 1] == " " { return .meta }
        if r.keyBeforeEquals, atStart, let next, let after {
            if after == "=" || ("+?:!".unicodeScalars.contains(after) && next + 1 < t.count && t[next + 1] == "=") {
                return .meta
            }
        }
        if r.targets, atStart, after == ":", next! + 1 == t.count || t[next! + 1] != "=" { return .heading }
        if r.css { return st.braces > 0 && after == ":" ? .meta : nil }
        if end - start > 24 { return nil }
        if let key = WordKey(t.s[(t.base + start) ..< (t.base + end)]) {
            if keywordKeys.contains(key) { return .keyword }
            if typeKeys.contains(key) { return .type }
        }
        if r.capitalisedTypes, t[start].properties.isUppercase { return .type }
        return nil
    }

    /// Whether a string ending at `end` is a key: followed by `:` (JSON; YAML
    /// only at the line's start or after `- `).
    private func isKey(_ t: LineText, after end: Int, atStart: Bool) -> Bool {
        guard rules.keyBeforeColon, language == .json || atStart, let next = t.nextNonSpace(from: end) else { return false }
        return t[next] == ":"
    }

    /// Where a block comment opened before `from` ends (just after its
    /// closer), with `depth` levels open; nil and the depth left when it
    /// runs past the line.
    private func closeComment(_ t: LineText, from: Int, depth: Int) -> (Int?, Int) {
        let r = rules
        var depth = depth, j = from
        while j < t.count {
            if r.nests, t.has(r.blockOpen, at: j) {
                depth += 1
                j += r.blockOpen.count
            } else if t.has(r.blockClose, at: j) {
                depth -= 1
                j += r.blockClose.count
                if depth <= 0 { return (j, 0) }
            } else {
                j += 1
            }
        }
        return (nil, depth)
    }

    /// Just after the delimiter `d` that closes a string whose text starts
    /// at `from`, or nil when the line ends first. A backslash escapes the
    /// next character unless the quote is raw.
    private func closeString(_ t: LineText, from: Int, _ d: [Unicode.Scalar]) -> Int? {
        let raw = rules.rawQuotes.contains(d[0])
        var j = from
        while j < t.count {
            if !raw, t[j] == "\\" { j += 2; continue }
            if t.has(d, at: j) { return j + d.count }
            j += 1
        }
        return nil
    }

    /// The end of a number starting at `from`: digits, letters (hex, suffixes,
    /// exponents, CSS units), underscores, a decimal point followed by a digit
    /// (so `1..<5` is two numbers), a sign after an exponent, `%`.
    private func numberEnd(_ t: LineText, from: Int) -> Int {
        let hex = from + 1 < t.count && t[from] == "0" && (t[from + 1] == "x" || t[from + 1] == "X")
        var j = from + 1
        while j < t.count {
            let x = t[j]
            if LineText.isDigit(x) || (x.isASCII && x.properties.isAlphabetic) || x == "_" || x == "%" {
                j += 1
            } else if x == ".", j + 1 < t.count, LineText.isDigit(t[j + 1]) {
                j += 1
            } else if x == "+" || x == "-", !hex, t[j - 1] == "e" || t[j - 1] == "E" {
                j += 1
            } else {
                break
            }
        }
        return j
    }

    /// The end of a variable at `from` (a `$`): `$(…)` and `${…}` to their
    /// matching close on the line, `$name`, or `$` and one character (`$1`, `$@`).
    private func variableEnd(_ t: LineText, from: Int) -> Int {
        let open = t[from + 1]
        if open == "(" || open == "{" {
            let close: Unicode.Scalar = open == "(" ? ")" : "}"
            var depth = 0, j = from + 1
            while j < t.count {
                if t[j] == open { depth += 1 } else if t[j] == close { depth -= 1; if depth == 0 { return j + 1 } }
                j += 1
            }
            return t.count
        }
        if LineText.isIdentifierStart(open) { return t.identifierEnd(from: from + 1) }
        return from + 2
    }
}

/// A line's scalars with 0-based offsets, and the small scans every lexer uses.
struct LineText {
    let s: ArraySlice<Unicode.Scalar>
    let base: Int
    let count: Int

    init(_ s: ArraySlice<Unicode.Scalar>) {
        self.s = s
        base = s.startIndex
        count = s.count
    }

    subscript(i: Int) -> Unicode.Scalar { s[base + i] }

    /// Whether `p` occurs at offset `i`. O(p).
    func has(_ p: [Unicode.Scalar], at i: Int) -> Bool {
        guard i + p.count <= count else { return false }
        for k in 0 ..< p.count where s[base + i + k] != p[k] { return false }
        return true
    }

    /// The first offset ≥ `from` holding `p`, or nil. O((count − from) × p).
    func find(_ p: [Unicode.Scalar], from: Int) -> Int? {
        var j = from
        while j + p.count <= count { if has(p, at: j) { return j }; j += 1 }
        return nil
    }

    /// The first offset ≥ `from` that is not a space or tab, or nil.
    func nextNonSpace(from: Int) -> Int? {
        var j = from
        while j < count, s[base + j] == " " || s[base + j] == "\t" { j += 1 }
        return j < count ? j : nil
    }

    /// The end of the identifier (letters, digits, `_`, and `-` when
    /// `dashes`) that continues at `from`.
    func identifierEnd(from: Int, dashes: Bool = false) -> Int {
        var j = from
        while j < count {
            let x = s[base + j]
            if Self.isIdentifierStart(x) || Self.isDigit(x) || (dashes && x == "-") { j += 1 } else { break }
        }
        return j
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }

    static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII { return (c.value | 0x20) >= 97 && (c.value | 0x20) <= 122 || c == "_" }
        return c.properties.isAlphabetic
    }
}
