/// Find: a search over the text view, forward or backward from the cursor,
/// wrapping around the ends ("Search wrapped"). Plain or a regular expression
/// (Alt-R in the prompt toggles it; the prompt then shows `.*`), under a case
/// rule (Alt-C cycles it): smart — case-insensitive unless the query has a
/// capital letter (`word` finds `Word`, `Word` finds only `Word`) — then exact
/// (`Aa`), then ignore (`aa`). The match found is highlighted until the next
/// key; the last query is remembered (the prompt shows it, and Enter on an
/// empty prompt reuses it). A pattern that does not compile keeps the prompt
/// open with the reason after it ("Bad pattern: expected ')'"). See Search.swift.
extension Editor {
    /// The last query under the current switches, or why it does not compile.
    func searchQuery(_ needle: [Unicode.Scalar]) throws(SearchError) -> SearchQuery {
        try SearchQuery(needle, regex: searchRegex, caseRule: searchCase)
    }

    /// The first match from `from` to the end, else (wrapping) from the start
    /// to `from`. O(n) (× needle, plain).
    func findForward(_ q: SearchQuery, from: Int) -> (match: SearchQuery.Match, wrapped: Bool)? {
        let s = doc.buffer.scalars
        if let m = q.first(in: s, lines: doc.buffer, from: from, before: Int.max) { return (m, false) }
        if let m = q.first(in: s, lines: doc.buffer, from: 0, before: min(from, s.count + 1)) { return (m, true) }
        return nil
    }

    /// The last match starting before `before`, else (wrapping) the last one
    /// from `before` on. O(n).
    func findBackward(_ q: SearchQuery, before: Int) -> (match: SearchQuery.Match, wrapped: Bool)? {
        let s = doc.buffer.scalars
        if let m = q.last(in: s, lines: doc.buffer, from: 0, before: before) { return (m, false) }
        if let m = q.last(in: s, lines: doc.buffer, from: max(0, before), before: s.count + 1) { return (m, true) }
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

    /// What the prompt shows of the switches: ` (.* Aa)`, or "" when both are
    /// at their defaults.
    var searchBadge: String {
        let parts = [searchRegex ? ".*" : "", searchCase.badge].filter { !$0.isEmpty }
        return parts.isEmpty ? "" : " (\(parts.joined(separator: " ")))"
    }

    /// Alt-R / Alt-C in a find or replace prompt: toggles regex, cycles the
    /// case rule; says what is now on.
    mutating func toggleSearchSwitch(_ key: Key, _ p: inout Prompt) -> Bool {
        switch key {
        case .alt("r"), .alt("R"):
            searchRegex.toggle()
            p.note = searchRegex ? "Regular expression: $1…$9 and $0 in the replacement" : "Plain text"
        case .alt("c"), .alt("C"):
            searchCase = searchCase.next
            p.note = searchCase == .smart ? "Case: smart (exact when the query has a capital)"
                : searchCase == .exact ? "Case: exact" : "Case: ignored"
        default:
            return false
        }
        return true
    }

    /// Moves to the next (or previous) match of the last search, with a message
    /// when it wrapped or found nothing; the match is highlighted.
    mutating func findAgain(forward: Bool) {
        if pane != nil { paneFindAgain(forward: forward); return }  // the pane's text (TimeTravel+Find.swift)
        guard !lastSearch.isEmpty else { message = "No search yet: Ctrl-F to find"; return }
        let q: SearchQuery
        do { q = try searchQuery(lastSearch) } catch { message = error.description; return }
        let hit = forward ? findForward(q, from: doc.cursor + 1) : findBackward(q, before: doc.cursor)
        let shown = String(String.UnicodeScalarView(lastSearch))
        guard let hit else { message = "\"\(shown)\" not found"; return }
        setCursor(hit.match.range.lowerBound)
        matchLength = hit.match.range.count
        message = hit.wrapped ? "Search wrapped" : nil
    }
}
