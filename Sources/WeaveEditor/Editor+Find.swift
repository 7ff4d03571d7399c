/// Find: a plain search over the text view, forward or backward from the
/// cursor, wrapping around the ends. Case-insensitive unless the query has a
/// capital letter ("smart case": `word` finds `Word`, `Word` finds only
/// `Word`). The match found is highlighted until the next key; the last query
/// is remembered (the prompt shows it, and Enter on an empty prompt reuses it).
extension Editor {
    /// Whether a query compares case-sensitively: it has a character that
    /// lowercasing changes. O(needle).
    static func isCaseSensitive(_ needle: [Unicode.Scalar]) -> Bool {
        needle.contains { $0.properties.changesWhenLowercased }
    }

    /// `u` lowercased when lowercasing gives one scalar, else `u`. O(1).
    static func folded(_ u: Unicode.Scalar) -> Unicode.Scalar {
        guard u.properties.changesWhenLowercased else { return u }
        let lower = u.properties.lowercaseMapping.unicodeScalars
        return lower.count == 1 ? lower.first! : u
    }

    /// Whether `needle` occurs at `i` of the text (under the case rule above).
    /// O(needle).
    func matches(_ needle: [Unicode.Scalar], at i: Int) -> Bool {
        let s = doc.buffer.scalars
        guard !needle.isEmpty, i >= 0, i + needle.count <= s.count else { return false }
        if Self.isCaseSensitive(needle) { return s[i ..< i + needle.count].elementsEqual(needle) }
        return zip(s[i ..< i + needle.count], needle).allSatisfy { Self.folded($0) == Self.folded($1) }
    }

    /// The first match of `needle` starting in `from ..< count`, else (wrapping)
    /// in `0 ..< from`. O(n × needle).
    func findForward(_ needle: [Unicode.Scalar], from: Int) -> (index: Int, wrapped: Bool)? {
        let n = doc.buffer.count
        guard !needle.isEmpty, needle.count <= n else { return nil }
        let last = n - needle.count
        var i = max(0, from)
        while i <= last { if matches(needle, at: i) { return (i, false) }; i += 1 }
        i = 0
        while i < min(from, last + 1) { if matches(needle, at: i) { return (i, true) }; i += 1 }
        return nil
    }

    /// The first match starting in `from ..< limit` (no wrapping), or nil.
    /// O((limit − from) × needle).
    func firstMatch(_ needle: [Unicode.Scalar], from: Int, before limit: Int) -> Int? {
        let last = min(limit - 1, doc.buffer.count - needle.count)
        guard !needle.isEmpty else { return nil }
        var i = max(0, from)
        while i <= last { if matches(needle, at: i) { return i }; i += 1 }
        return nil
    }

    /// The last match starting before `before`, else (wrapping) the last one
    /// from `before` on. O(n × needle).
    func findBackward(_ needle: [Unicode.Scalar], before: Int) -> (index: Int, wrapped: Bool)? {
        let n = doc.buffer.count
        guard !needle.isEmpty, needle.count <= n else { return nil }
        let last = n - needle.count
        var i = min(before - 1, last)
        while i >= 0 { if matches(needle, at: i) { return (i, false) }; i -= 1 }
        i = last
        while i >= max(0, before) { if matches(needle, at: i) { return (i, true) }; i -= 1 }
        return nil
    }

    /// The highlighted match (the last find's, or the one a replace asks
    /// about): `matchLength` scalars from the cursor. Nil when none.
    public var currentMatch: Range<Int>? {
        guard let n = matchLength, n > 0 else { return nil }
        let c = doc.cursor
        return c ..< min(c + n, doc.buffer.count)
    }

    /// The find prompt's label: the last query, when there is one, is what an
    /// empty answer searches for.
    func queryLabel(_ what: String) -> String {
        lastSearch.isEmpty ? what : "\(what) [\(String(String.UnicodeScalarView(lastSearch)))]"
    }

    /// Moves to the next (or previous) match of the last search, with a message
    /// when it wrapped or found nothing; the match is highlighted.
    mutating func findAgain(forward: Bool) {
        guard !lastSearch.isEmpty else { message = "No search yet: Ctrl-F to find"; return }
        let hit = forward ? findForward(lastSearch, from: doc.cursor + 1)
                          : findBackward(lastSearch, before: doc.cursor)
        let shown = String(String.UnicodeScalarView(lastSearch))
        guard let hit else { message = "\"\(shown)\" not found"; return }
        setCursor(hit.index)
        matchLength = lastSearch.count
        message = hit.wrapped ? "Search wrapped" : nil
    }
}
