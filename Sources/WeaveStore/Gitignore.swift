/// The patterns of a folder's `.gitignore`, as git reads them, for the paths
/// below that folder (only the root's file: nested `.gitignore`s, the global
/// excludes and `.git/info/exclude` are not read).
///
/// Supported, as in gitignore(5): blank lines and `#` comments; `\#` and `\!`
/// at the start for a literal `#` or `!`; trailing spaces dropped (`\ ` keeps
/// one); `!` re-includes what an earlier pattern excluded (the last pattern
/// that matches decides); a trailing `/` matches folders only; a `/` at the
/// start or in the middle anchors the pattern at the root, otherwise it
/// matches a name at any depth; `*` (any run within a name), `?` (one
/// character but `/`), `[abc]`, `[a-z]`, `[!a]` classes, `\x` for a literal
/// x; `**/` at the start (in any folder), `/**` at the end (everything
/// inside), `/**/` in the middle (zero or more folders). As in git, a path
/// inside an excluded folder cannot be re-included: the scan does not go in.
public struct Gitignore: Sendable {
    struct Rule: Sendable {
        /// The pattern's names (split at "/"), each a glob; "**" is a name of its own.
        var segments: [[Unicode.Scalar]]
        var negated: Bool
        var foldersOnly: Bool
        /// Matched against the whole path from the root (else the last name only).
        var anchored: Bool
    }

    var rules: [Rule] = []

    /// No patterns: nothing is ignored.
    public init() {}

    /// Reads the patterns of a `.gitignore` text, one per line (LF or CRLF).
    /// O(text).
    public init(text: String) {
        for raw in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            if let rule = Self.rule(Array(raw)) { rules.append(rule) }
        }
    }

    /// Whether `path` (relative to the folder, names separated by "/") is
    /// ignored; `isFolder` says whether it names a folder. Checks the path
    /// itself, not its folders: the scan asks about each folder on its way
    /// down and does not enter an ignored one. O(rules · path), more for
    /// patterns with several `**`.
    public func isIgnored(_ path: String, isFolder: Bool) -> Bool {
        let names = path.split(separator: "/", omittingEmptySubsequences: true).map { Array($0.unicodeScalars) }
        guard let last = names.last else { return false }
        var ignored = false
        for rule in rules where rule.negated == ignored {
            // Only a rule that would change the answer needs matching.
            if rule.foldersOnly && !isFolder { continue }
            let hit = rule.anchored ? Self.match(rule.segments[...], names[...]) : Self.glob(rule.segments[0][...], last[...])
            if hit { ignored = !rule.negated }
        }
        return ignored
    }

    // MARK: Parsing

    static func rule(_ line: [Unicode.Scalar]) -> Rule? {
        var s = line[...]
        if s.last == "\r" { s = s.dropLast() }
        // Trailing spaces go, unless escaped with a backslash.
        while s.last == " " {
            let beforeSpace = s.dropLast()
            var slashes = 0
            for c in beforeSpace.reversed() { if c == "\\" { slashes += 1 } else { break } }
            if slashes % 2 == 1 { break }
            s = beforeSpace
        }
        guard let first = s.first, first != "#" else { return nil }
        var negated = false
        if first == "!" {
            negated = true
            s = s.dropFirst()
        } else if first == "\\", s.dropFirst().first == "#" || s.dropFirst().first == "!" {
            s = s.dropFirst()
        }
        var foldersOnly = false
        if s.last == "/" {
            foldersOnly = true
            s = s.dropLast()
        }
        guard !s.isEmpty else { return nil }
        var anchored = s.contains("/")
        if s.first == "/" { s = s.dropFirst() }
        var segments = s.split(separator: "/", omittingEmptySubsequences: true).map { Array($0) }
        guard !segments.isEmpty else { return nil }
        // A pattern of one name, or "**/name" and "/**/name" (in any folder:
        // the same thing), matches the last name of a path.
        if segments.count == 2, segments[0] == ["*", "*"] {
            segments.removeFirst()
            anchored = false
        }
        if segments.count == 1 && segments[0] != ["*", "*"] && !anchored {
            return Rule(segments: segments, negated: negated, foldersOnly: foldersOnly, anchored: false)
        }
        return Rule(segments: segments, negated: negated, foldersOnly: foldersOnly, anchored: true)
    }

    // MARK: Matching

    /// Whether the pattern's names match the path's names: "**" stands for
    /// zero or more names, but for one more name at least when it ends the
    /// pattern ("a/**" is what is inside a, not a itself).
    static func match(_ pattern: ArraySlice<[Unicode.Scalar]>, _ names: ArraySlice<[Unicode.Scalar]>) -> Bool {
        guard let p = pattern.first else { return names.isEmpty }
        if p == ["*", "*"] {
            let rest = pattern.dropFirst()
            if rest.isEmpty { return !names.isEmpty }
            var n = names
            while true {
                if match(rest, n) { return true }
                if n.isEmpty { return false }
                n = n.dropFirst()
            }
        }
        guard let name = names.first, glob(p[...], name[...]) else { return false }
        return match(pattern.dropFirst(), names.dropFirst())
    }

    /// Whether one name matches one glob (`*`, `?`, `[...]`, `\x`). Iterative,
    /// with one point of return for the last `*`: O(pattern · name) at worst.
    static func glob(_ pattern: ArraySlice<Unicode.Scalar>, _ name: ArraySlice<Unicode.Scalar>) -> Bool {
        var p = pattern.startIndex, n = name.startIndex
        var star: (p: Int, n: Int)? = nil
        while n < name.endIndex {
            if p < pattern.endIndex {
                let c = pattern[p]
                if c == "*" {
                    var q = p
                    while q < pattern.endIndex && pattern[q] == "*" { q += 1 }
                    star = (q, n)
                    p = q
                    continue
                }
                if let step = one(pattern, at: p, name[n]), step.matched {
                    p = step.next
                    n += 1
                    continue
                }
            }
            // No match here: let the last "*" take one more character.
            guard let s = star else { return false }
            star = (s.p, s.n + 1)
            p = s.p
            n = s.n + 1
        }
        while p < pattern.endIndex && pattern[p] == "*" { p += 1 }
        return p == pattern.endIndex
    }

    /// Whether the pattern element at `p` (a character, `?`, `\x` or a class)
    /// matches `c`, and where the next element starts; nil when `p` starts a
    /// `*`. A "[" without its "]" is a literal "[".
    static func one(_ pattern: ArraySlice<Unicode.Scalar>, at p: Int, _ c: Unicode.Scalar) -> (matched: Bool, next: Int)? {
        switch pattern[p] {
        case "*": return nil
        case "?": return (c != "/", p + 1)
        case "\\":
            if p + 1 < pattern.endIndex { return (pattern[p + 1] == c, p + 2) }
            return (c == "\\", p + 1)
        case "[":
            var q = p + 1
            var negate = false
            if q < pattern.endIndex && (pattern[q] == "!" || pattern[q] == "^") { negate = true; q += 1 }
            var found = false
            var first = true
            while q < pattern.endIndex && (pattern[q] != "]" || first) {
                first = false
                var lo = pattern[q]
                if lo == "\\" && q + 1 < pattern.endIndex { q += 1; lo = pattern[q] }
                if q + 2 < pattern.endIndex && pattern[q + 1] == "-" && pattern[q + 2] != "]" {
                    if lo <= c && c <= pattern[q + 2] { found = true }
                    q += 3
                } else {
                    if lo == c { found = true }
                    q += 1
                }
            }
            guard q < pattern.endIndex else { return (c == "[", p + 1) }
            return (found != negate && c != "/", q + 1)
        default:
            return (pattern[p] == c, p + 1)
        }
    }
}
