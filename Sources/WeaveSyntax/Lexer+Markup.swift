/// The markup languages, one line at a time like the code lexer: Markdown
/// (headings, fenced code carried from line to line, inline code, quotes,
/// list markers, link targets), HTML and XML (tags, attributes, comments and
/// tags left open across lines), and diffs (line by line, no state).
extension Lexer {
    // MARK: Markdown

    func lexMarkdown(_ t: LineText, _ st: LexState, _ out: inout [Token]) -> LexState {
        let n = t.count
        var k = 0
        while k < n, k < 4, t[k] == " " { k += 1 }
        let indented = k >= 4
        if st.mode == .fence {
            out.append(Token(0, n, .code))
            let fence: Unicode.Scalar = st.which == 0 ? "`" : "~"
            if !indented, run(t, of: fence, at: k) >= 3 { return .initial }
            return st
        }
        if !indented, k < n {
            let c = t[k]
            if (c == "`" || c == "~"), run(t, of: c, at: k) >= 3 {
                out.append(Token(0, n, .code))
                var s = LexState.initial
                s.mode = .fence
                s.which = c == "`" ? 0 : 1
                return s
            }
            if c == "#" {
                let h = run(t, of: "#", at: k)
                if h <= 6, k + h == n || t[k + h] == " " { out.append(Token(0, n, .heading)); return .initial }
            }
            if c == ">" { out.append(Token(0, n, .comment)); return .initial }
            if c == "=" || c == "-", run(t, of: c, at: k) >= 3, t.nextNonSpace(from: k + run(t, of: c, at: k)) == nil {
                out.append(Token(0, n, c == "=" ? .heading : .meta))  // a heading's underline; a rule
                return .initial
            }
            if c == "-" || c == "*" || c == "+", k + 1 < n, t[k + 1] == " " {
                out.append(Token(k, k + 1, .keyword))
                k += 1
            } else if LineText.isDigit(c) {
                var j = k
                while j < n, LineText.isDigit(t[j]) { j += 1 }
                if j + 1 < n, t[j] == "." || t[j] == ")", t[j + 1] == " " { out.append(Token(k, j + 1, .keyword)); k = j + 1 }
            }
        }
        var i = k
        while i < n {
            if t[i] == "`" {
                let r = run(t, of: "`", at: i)
                var j = i + r
                var end: Int?
                while j < n {
                    if t[j] == "`" {
                        let r2 = run(t, of: "`", at: j)
                        if r2 == r { end = j + r2; break }
                        j += r2
                    } else {
                        j += 1
                    }
                }
                guard let end else { i += r; continue }
                out.append(Token(i, end, .code))
                i = end
            } else if t[i] == "]", i + 1 < n, t[i + 1] == "(" {
                var j = i + 2
                while j < n, t[j] != ")" { j += 1 }
                out.append(Token(i + 2, j, .meta))  // a link's target
                i = min(n, j + 1)
            } else if t[i] == "\\" {
                i += 2
            } else {
                i += 1
            }
        }
        return .initial
    }

    /// How many `c` in a row start at `i`.
    private func run(_ t: LineText, of c: Unicode.Scalar, at i: Int) -> Int {
        var j = i
        while j < t.count, t[j] == c { j += 1 }
        return j - i
    }

    // MARK: HTML

    private static let commentOpen = Array("<!--".unicodeScalars)
    private static let commentClose = Array("-->".unicodeScalars)

    func lexHTML(_ t: LineText, _ start: LexState, _ out: inout [Token]) -> LexState {
        let n = t.count
        var st = start
        var i = 0
        switch st.mode {
        case .markupComment:
            guard let end = t.find(Self.commentClose, from: 0) else { out.append(Token(0, n, .comment)); return st }
            out.append(Token(0, end + 3, .comment))
            i = end + 3
        case .tag:
            let (end, closed) = tagBody(t, from: 0, &out)
            if !closed { return st }
            i = end
        default:
            break
        }
        st = .initial
        while i < n {
            let c = t[i]
            if c == "<", t.has(Self.commentOpen, at: i) {
                guard let end = t.find(Self.commentClose, from: i + 4) else {
                    out.append(Token(i, n, .comment))
                    st.mode = .markupComment
                    return st
                }
                out.append(Token(i, end + 3, .comment))
                i = end + 3
            } else if c == "<", i + 1 < n, LineText.isIdentifierStart(t[i + 1]) || "/!?".unicodeScalars.contains(t[i + 1]) {
                var j = i + 1
                while j < n, "/!?".unicodeScalars.contains(t[j]) { j += 1 }
                while j < n, LineText.isIdentifierStart(t[j]) || LineText.isDigit(t[j]) || "-:.".unicodeScalars.contains(t[j]) { j += 1 }
                out.append(Token(i, j, .heading))
                let (end, closed) = tagBody(t, from: j, &out)
                if !closed { st.mode = .tag; return st }
                i = end
            } else if c == "&" {
                var j = i + 1
                while j < n, j - i < 12, LineText.isIdentifierStart(t[j]) || LineText.isDigit(t[j]) || t[j] == "#" { j += 1 }
                if j < n, t[j] == ";", j > i + 1 { out.append(Token(i, j + 1, .number)); i = j + 1 } else { i += 1 }
            } else {
                i += 1
            }
        }
        return st
    }

    /// Lexes a tag's attributes from `from`: where it ends (after `>`) and
    /// whether it did on this line.
    private func tagBody(_ t: LineText, from: Int, _ out: inout [Token]) -> (Int, Bool) {
        var i = from
        while i < t.count {
            let c = t[i]
            if c == ">" {
                out.append(Token(i, i + 1, .heading))
                return (i + 1, true)
            } else if (c == "/" || c == "?"), i + 1 < t.count, t[i + 1] == ">" {
                out.append(Token(i, i + 2, .heading))
                return (i + 2, true)
            } else if c == "\"" || c == "'" {
                var j = i + 1
                while j < t.count, t[j] != c { j += 1 }
                let end = min(t.count, j + 1)
                out.append(Token(i, end, .string))
                i = end
            } else if LineText.isIdentifierStart(c) {
                var j = i
                while j < t.count, LineText.isIdentifierStart(t[j]) || LineText.isDigit(t[j]) || "-:.".unicodeScalars.contains(t[j]) { j += 1 }
                out.append(Token(i, j, .meta))
                i = j
            } else {
                i += 1
            }
        }
        return (t.count, false)
    }

    // MARK: Diff

    private static let diffHeaders = ["diff ", "index ", "--- ", "+++ ", "new file", "deleted file", "similarity", "rename "]
        .map { Array($0.unicodeScalars) }

    func lexDiff(_ t: LineText, _ out: inout [Token]) {
        guard t.count > 0 else { return }
        if Self.diffHeaders.contains(where: { t.has($0, at: 0) }) { out.append(Token(0, t.count, .heading)); return }
        switch t[0] {
        case "@": out.append(Token(0, t.count, .meta))
        case "+": out.append(Token(0, t.count, .added))
        case "-": out.append(Token(0, t.count, .removed))
        default: break
        }
    }
}
