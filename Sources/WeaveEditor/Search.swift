/// What find and replace look for: a query, plain or a regular expression,
/// under a case rule. Pure; `Editor+Find.swift` and `Editor+Replace.swift`
/// drive it over the text view.
///
/// The engine is the standard library's `Regex` (Swift 5.7+, on Linux too),
/// not Foundation's `NSRegularExpression`: WeaveEditor stays free of
/// Foundation; it speaks Unicode scalars (`matchingSemantics(.unicodeScalar)`
/// makes `.` one scalar, as the cursor and the text view count), while
/// NSRegularExpression counts UTF-16 units that would need converting both
/// ways; and its syntax errors come as sentences ("expected ')'") that the
/// prompt can show as they are. The cost: `Regex` is slower than ICU, and
/// each search converts the text from the start of the line it begins on to
/// a `String` (O(n)); plain queries are compared scalar by scalar as before.
public struct SearchQuery: Sendable {
    /// How letters' case is compared.
    public enum CaseRule: Sendable, Equatable, CaseIterable {
        /// Case-insensitive unless the query has a capital letter (the default).
        case smart
        /// Exactly as typed.
        case exact
        /// Always case-insensitive.
        case ignore

        /// The next rule of the toggle (Alt-C): smart → exact → ignore → smart.
        var next: CaseRule { self == .smart ? .exact : self == .exact ? .ignore : .smart }
        /// What the prompt shows for it ("" for the default).
        var badge: String { self == .smart ? "" : self == .exact ? "Aa" : "aa" }
    }

    /// A match: where it is, and its groups (0: the whole match; nil: a
    /// group that took no part). Plain queries have group 0 only.
    public struct Match: Sendable, Equatable {
        public var range: Range<Int>
        public var groups: [Range<Int>?]
    }

    public let needle: [Unicode.Scalar]
    public let isRegex: Bool
    public let caseRule: CaseRule
    let caseSensitive: Bool

    /// The compiled expression (compiled again at each search: `Regex` is not
    /// `Sendable`, and a query's pattern is short), or nil for plain text.
    var regex: Regex<AnyRegexOutput>? { isRegex ? try? Self.compile(needle, caseSensitive: caseSensitive) : nil }

    static func compile(_ needle: [Unicode.Scalar], caseSensitive: Bool) throws -> Regex<AnyRegexOutput> {
        try Regex(spellingOutWordClass(needle)).matchingSemantics(.unicodeScalar)
            .anchorsMatchLineEndings(true).ignoresCase(!caseSensitive)
    }

    /// What a word character is: a letter, a mark, a decimal digit or a
    /// connector such as `_` (what `\w` means with scalar semantics).
    static let wordClass = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}"

    /// `pattern` with `\w` and `\W` spelled out as the classes they stand
    /// for (inside a class: its members; `\W` inside a class is left as it
    /// is). Swift's `Regex` (6.3) skips `_` or a digit written before some
    /// other scripts' letters under `\w` ("_日", "1日": only 日 is found),
    /// which the editor's property test found; the spelled-out class has no
    /// such gap. Text quoted by `\Q…\E` is left alone. O(pattern).
    static func spellingOutWordClass(_ pattern: [Unicode.Scalar]) -> String {
        var out = String.UnicodeScalarView()
        var depth = 0  // inside how many `[…]`
        var i = 0
        while i < pattern.count {
            let c = pattern[i]
            guard c == "\\", i + 1 < pattern.count else {
                if c == "[" { depth += 1 } else if c == "]", depth > 0 { depth -= 1 }
                out.append(c)
                i += 1
                continue
            }
            let d = pattern[i + 1]
            i += 2
            switch d {
            case "w": out.append(contentsOf: (depth > 0 ? wordClass : "[\(wordClass)]").unicodeScalars)
            case "W" where depth == 0: out.append(contentsOf: "[^\(wordClass)]".unicodeScalars)
            case "Q":
                // Quoted to `\E` (or the end): copied as it is.
                out.append(contentsOf: ["\\", "Q"])
                while i < pattern.count, !(pattern[i] == "\\" && i + 1 < pattern.count && pattern[i + 1] == "E") {
                    out.append(pattern[i])
                    i += 1
                }
            default: out.append(contentsOf: [c, d])
            }
        }
        return String(out)
    }

    /// A query; throws `SearchError` (its message in words) for a regular
    /// expression that does not compile. O(needle).
    public init(_ needle: [Unicode.Scalar], regex: Bool, caseRule: CaseRule = .smart) throws(SearchError) {
        self.needle = needle
        isRegex = regex
        self.caseRule = caseRule
        switch caseRule {
        case .smart: caseSensitive = needle.contains { $0.properties.changesWhenLowercased }
        case .exact: caseSensitive = true
        case .ignore: caseSensitive = false
        }
        if regex {
            do { _ = try Self.compile(needle, caseSensitive: caseSensitive) } catch {
                throw SearchError(pattern: String(String.UnicodeScalarView(needle)), reason: String(describing: error))
            }
        }
    }

    /// `u` lowercased when lowercasing gives one scalar, else `u`. O(1).
    static func folded(_ u: Unicode.Scalar) -> Unicode.Scalar {
        guard u.properties.changesWhenLowercased else { return u }
        let lower = u.properties.lowercaseMapping.unicodeScalars
        return lower.count == 1 ? lower.first! : u
    }

    /// Whether the plain needle occurs at `i` of `s`. O(needle).
    func plainMatches<S: Scalars>(_ s: S, at i: Int) -> Bool where S.Index == Int {
        guard !needle.isEmpty, i >= 0, i + needle.count <= s.count else { return false }
        if caseSensitive { return s[i ..< i + needle.count].elementsEqual(needle) }
        return zip(s[i ..< i + needle.count], needle).allSatisfy { Self.folded($0) == Self.folded($1) }
    }

    /// The first match starting in `from ..< limit` of `s` (no wrapping), or
    /// nil. Regex matches are found from the start of `from`'s line, so `^`
    /// and lookbehinds see the line as it is; matches before `from` are
    /// passed over. O(n) for a regex; O((limit − from) × needle) plain.
    public func first<S: Scalars>(in s: S, lines: TextBuffer? = nil, from: Int, before limit: Int) -> Match? where S.Index == Int {
        let limit = min(limit, s.count + 1)
        guard from < limit, !needle.isEmpty else { return nil }
        guard let regex else {
            var i = max(0, from)
            while i < limit, i + needle.count <= s.count {
                if plainMatches(s, at: i) { return Match(range: i ..< i + needle.count, groups: [i ..< i + needle.count]) }
                i += 1
            }
            return nil
        }
        let start = lineStart(s, lines, before: max(0, from))
        var found: Match?
        forEachRegexMatch(regex, s, from: start) { m in
            if m.range.lowerBound >= limit { return false }
            if m.range.lowerBound >= from { found = m; return false }
            return true
        }
        return found
    }

    /// The last match starting in `lower ..< before`, or nil. O(n).
    public func last<S: Scalars>(in s: S, lines: TextBuffer? = nil, from lower: Int, before: Int) -> Match? where S.Index == Int {
        guard lower < before, !needle.isEmpty else { return nil }
        guard let regex else {
            var i = min(before - 1, s.count - needle.count)
            while i >= lower {
                if plainMatches(s, at: i) { return Match(range: i ..< i + needle.count, groups: [i ..< i + needle.count]) }
                i -= 1
            }
            return nil
        }
        var found: Match?
        forEachRegexMatch(regex, s, from: lineStart(s, lines, before: lower)) { m in
            if m.range.lowerBound >= before { return false }
            if m.range.lowerBound >= lower { found = m }
            return true
        }
        return found
    }

    /// The start of the line holding `i`. O(log lines) with the line index,
    /// else O(line).
    private func lineStart<S: Scalars>(_ s: S, _ lines: TextBuffer?, before i: Int) -> Int where S.Index == Int {
        if let lines, lines.count == s.count { return lines.lineStarts[lines.line(of: min(i, s.count))] }
        var j = min(i, s.count)
        while j > 0, s[j - 1] != "\n" { j -= 1 }
        return j
    }

    /// Calls `body` with each match from `start` on, in order, until it
    /// returns false. Offsets are scalar offsets into `s`. O(n − start).
    private func forEachRegexMatch<S: Scalars>(_ regex: Regex<AnyRegexOutput>, _ s: S, from start: Int,
                                   _ body: (Match) -> Bool) where S.Index == Int {
        let text = String(String.UnicodeScalarView(s[start...]))
        let scalars = text.unicodeScalars
        // Offsets are counted from the last index converted, so walking the
        // matches in order costs O(n) in all.
        var lastIndex = text.startIndex, lastOffset = start
        func offset(_ i: String.Index) -> Int {
            if i >= lastIndex {
                lastOffset += scalars.distance(from: lastIndex, to: i)
            } else {
                lastOffset -= scalars.distance(from: i, to: lastIndex)
            }
            lastIndex = i
            return lastOffset
        }
        for m in text.matches(of: regex) {
            let lo = offset(m.range.lowerBound), hi = offset(m.range.upperBound)
            var groups: [Range<Int>?] = [lo ..< hi]
            for k in 1 ..< m.output.count {
                if let r = m.output[k].range {
                    let a = offset(r.lowerBound), b = offset(r.upperBound)
                    groups.append(a ..< b)
                } else {
                    groups.append(nil)
                }
            }
            if !body(Match(range: lo ..< hi, groups: groups)) { return }
        }
    }

    /// The replacement for `match` in `s`: `template` with `$0` … `$9` (regex
    /// queries only) replaced by the groups' text (a group that took no part:
    /// nothing) and `$$` by `$`. Plain queries take the template as it is.
    /// O(template + groups' text).
    public func expand<S: Scalars>(_ template: [Unicode.Scalar], for match: Match, in s: S) -> [Unicode.Scalar] where S.Index == Int {
        guard isRegex, template.contains("$") else { return template }
        var out: [Unicode.Scalar] = []
        var i = 0
        while i < template.count {
            let c = template[i]
            if c == "$", i + 1 < template.count {
                let d = template[i + 1]
                if d == "$" { out.append("$"); i += 2; continue }
                if d.value >= 48, d.value <= 57 {
                    let k = Int(d.value - 48)
                    if k < match.groups.count, let r = match.groups[k] { out += s[r] }
                    i += 2
                    continue
                }
            }
            out.append(c)
            i += 1
        }
        return out
    }
}

/// Text to search: `[Unicode.Scalar]`, or the text view's storage.
public typealias Scalars = RandomAccessCollection<Unicode.Scalar>

/// A regular expression that does not compile: the pattern and why, in words.
public struct SearchError: Error, Sendable, Equatable, CustomStringConvertible {
    public var pattern: String
    public var reason: String
    public var description: String { "Bad pattern: \(reason)" }
}
