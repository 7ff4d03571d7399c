/// Find's and replace's queries as the editor property test's plain model
/// understands them: plain text, or a regular expression in the small
/// dialect the test's generator writes, matched here by plain backtracking.
/// Nothing in it comes from the editor or from Swift's `Regex`: it is the
/// reference the editor's `SearchQuery` is compared with.
///
/// The dialect: literal characters, `.` (any but a newline), `\.`, `\w` (a
/// letter, digit or `_`), `\d` (a digit), `[set]` (no ranges, no negation),
/// groups `( … | … )` (numbered by their opening parenthesis), `*` `+` `?`
/// after one character (and their lazy forms `*?` `+?` `??`), `^` and `$`
/// (at line ends). A quantifier with nothing before it, an unclosed `(` or
/// `[` do not parse. Matching is leftmost, then first alternative and
/// greedy (or lazy) repetition first, as in Perl.
///
/// The walk over the text is the editor's documented one (Search.swift):
/// matches are found from the start of the line the search begins on, each
/// search starting where the last match ended (one character further after
/// an empty match, and an empty match may follow a non-empty one where it
/// ended); the first found that starts at or after `from` is the answer.
struct PlainQuery {
    enum CaseRule: CaseIterable {
        case smart, exact, ignore
        var next: CaseRule { self == .smart ? .exact : self == .exact ? .ignore : .smart }
    }

    struct Match: Equatable {
        var range: Range<Int>
        var groups: [Range<Int>?]
    }

    let needle: [Unicode.Scalar]
    let caseSensitive: Bool
    /// The parsed expression; nil for plain text.
    let regex: [Node]?
    let groupCount: Int

    indirect enum Node {
        case char(Unicode.Scalar), any, set([Unicode.Scalar]), word, digit, lineStart, lineEnd
        case group(Int, [[Node]])
        case repeated(Node, min: Int, max: Int?, lazy: Bool)
    }

    /// Nil when `regex` is on and the needle does not parse.
    init?(_ needle: [Unicode.Scalar], regex: Bool, caseRule: CaseRule) {
        self.needle = needle
        switch caseRule {
        case .smart: caseSensitive = needle.contains { String($0).lowercased() != String($0) }
        case .exact: caseSensitive = true
        case .ignore: caseSensitive = false
        }
        guard regex else { self.regex = nil; groupCount = 0; return }
        var p = Parser(s: needle)
        guard let alts = p.alternatives(), p.i == needle.count else { return nil }
        self.regex = [.group(0, alts)]
        groupCount = p.groups
    }

    struct Parser {
        let s: [Unicode.Scalar]
        var i = 0
        var groups = 1

        mutating func alternatives() -> [[Node]]? {
            var alts: [[Node]] = []
            while true {
                guard let seq = sequence() else { return nil }
                alts.append(seq)
                guard i < s.count, s[i] == "|" else { return alts }
                i += 1
            }
        }

        mutating func sequence() -> [Node]? {
            var out: [Node] = []
            while i < s.count, s[i] != "|", s[i] != ")" {
                let c = s[i]
                i += 1
                var atom: Node
                switch c {
                case "*", "+", "?": return nil
                case ".": atom = .any
                case "^": atom = .lineStart
                case "$": atom = .lineEnd
                case "\\":
                    guard i < s.count else { return nil }
                    let e = s[i]
                    i += 1
                    atom = e == "w" ? .word : e == "d" ? .digit : .char(e)
                case "[":
                    var members: [Unicode.Scalar] = []
                    while i < s.count, s[i] != "]" { members.append(s[i]); i += 1 }
                    guard i < s.count, !members.isEmpty else { return nil }
                    i += 1
                    atom = .set(members)
                case "(":
                    let k = groups
                    groups += 1
                    guard let alts = alternatives(), i < s.count, s[i] == ")" else { return nil }
                    i += 1
                    atom = .group(k, alts)
                default: atom = .char(c)
                }
                if i < s.count, "*+?".unicodeScalars.contains(s[i]) {
                    switch atom {
                    case .group, .lineStart, .lineEnd: return nil  // not in the dialect
                    default: break
                    }
                    let q = s[i]
                    i += 1
                    let lazy = i < s.count && s[i] == "?"
                    if lazy { i += 1 }
                    atom = .repeated(atom, min: q == "+" ? 1 : 0, max: q == "?" ? 1 : nil, lazy: lazy)
                }
                out.append(atom)
            }
            return out
        }
    }

    func same(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Bool {
        caseSensitive ? a == b : String(a).lowercased() == String(b).lowercased()
    }

    /// Whether a one-character node takes `u`.
    func takes(_ n: Node, _ u: Unicode.Scalar) -> Bool {
        switch n {
        case .char(let c): return same(c, u)
        case .any: return u != "\n"
        case .set(let cs): return cs.contains { same($0, u) }
        case .word: return PlainEditor.isWord(u)
        case .digit: return u.properties.numericType == .decimal
        default: preconditionFailure("not one character: \(n)")
        }
    }

    typealias Groups = [Range<Int>?]

    /// Matches `seq` at `i`, then calls `k` with where it ended; true as
    /// soon as `k` accepts (backtracking through the choices in order).
    func match(_ t: [Unicode.Scalar], _ seq: ArraySlice<Node>, _ i: Int, _ g: Groups,
               _ k: @escaping (Int, Groups) -> Bool) -> Bool {
        guard let n = seq.first else { return k(i, g) }
        let rest = seq.dropFirst()
        switch n {
        case .group(let number, let alts):
            for a in alts {
                let hit = match(t, a[...], i, g) { j, g2 in
                    var g3 = g2
                    g3[number] = i ..< j
                    return self.match(t, rest, j, g3, k)
                }
                if hit { return true }
            }
            return false
        case .repeated(let atom, let lo, let hi, let lazy):
            var j = i
            var most = 0
            while hi.map({ most < $0 }) ?? true, j < t.count, takes(atom, t[j]) { j += 1; most += 1 }
            guard most >= lo else { return false }
            let counts = lazy ? Array(lo ... most) : Array((lo ... most).reversed())
            return counts.contains { match(t, rest, i + $0, g, k) }
        case .lineStart:
            return (i == 0 || t[i - 1] == "\n") && match(t, rest, i, g, k)
        case .lineEnd:
            return (i == t.count || t[i] == "\n") && match(t, rest, i, g, k)
        default:
            return i < t.count && takes(n, t[i]) && match(t, rest, i + 1, g, k)
        }
    }

    /// The match starting at `i`, or nil.
    func match(_ t: [Unicode.Scalar], at i: Int) -> Match? {
        if let regex {
            var found: Match?
            _ = match(t, regex[...], i, Groups(repeating: nil, count: groupCount)) { j, g in
                found = Match(range: i ..< j, groups: g)
                return true
            }
            return found
        }
        guard !needle.isEmpty, i + needle.count <= t.count,
              zip(t[i ..< i + needle.count], needle).allSatisfy({ same($0, $1) }) else { return nil }
        return Match(range: i ..< i + needle.count, groups: [i ..< i + needle.count])
    }

    /// Calls `body` with the matches the editor's search walks from `start`
    /// (a line's start) until it returns false.
    func walk(_ t: [Unicode.Scalar], from start: Int, _ body: (Match) -> Bool) {
        var pos = start
        while pos <= t.count {
            guard let m = (pos ... t.count).lazy.compactMap({ self.match(t, at: $0) }).first else { return }
            if !body(m) { return }
            pos = m.range.isEmpty ? m.range.lowerBound + 1 : m.range.upperBound
        }
    }

    static func lineStart(_ t: [Unicode.Scalar], _ i: Int) -> Int {
        var j = min(i, t.count)
        while j > 0, t[j - 1] != "\n" { j -= 1 }
        return j
    }

    /// The first match starting in `from ..< before` (no wrapping).
    func first(in t: [Unicode.Scalar], from: Int, before: Int) -> Match? {
        let limit = min(before, t.count + 1)
        guard from < limit, !needle.isEmpty else { return nil }
        guard regex != nil else {
            return (max(0, from) ..< limit).lazy.compactMap { self.match(t, at: $0) }.first
        }
        var found: Match?
        walk(t, from: Self.lineStart(t, max(0, from))) { m in
            if m.range.lowerBound >= limit { return false }
            if m.range.lowerBound >= from { found = m; return false }
            return true
        }
        return found
    }

    /// The last match starting in `lower ..< before`.
    func last(in t: [Unicode.Scalar], from lower: Int, before: Int) -> Match? {
        guard lower < before, !needle.isEmpty else { return nil }
        guard regex != nil else {
            return (lower ..< min(before, t.count + 1)).reversed().lazy.compactMap { self.match(t, at: $0) }.first
        }
        var found: Match?
        walk(t, from: Self.lineStart(t, lower)) { m in
            if m.range.lowerBound >= before { return false }
            if m.range.lowerBound >= lower { found = m }
            return true
        }
        return found
    }

    /// The replacement for `m`: in a regex replace `$0`…`$9` are the groups'
    /// text (nothing for a group that took no part or does not exist) and
    /// `$$` a dollar; any other `$` is itself. Plain: the template as it is.
    func expand(_ template: [Unicode.Scalar], _ m: Match, in t: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard regex != nil else { return template }
        var out: [Unicode.Scalar] = []
        var i = 0
        while i < template.count {
            if template[i] == "$", i + 1 < template.count {
                let d = template[i + 1]
                if d == "$" { out.append("$"); i += 2; continue }
                if let k = Int(String(d)) {
                    if k < m.groups.count, let r = m.groups[k] { out += t[r] }
                    i += 2
                    continue
                }
            }
            out.append(template[i])
            i += 1
        }
        return out
    }
}
