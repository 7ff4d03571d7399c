/// Find in the time-travel pane's text: Ctrl-F (or Ctrl-W) asks for a query
/// in the editor's find prompt (Alt-R regex, Alt-C case, the same last
/// query), F3 / Alt-W and Shift-F3 / Alt-Q go to the next and previous
/// match. It searches the text the pane shows at its current version (with a
/// mark: the diff, deleted text included), wraps around its ends and says
/// so; the match is highlighted and scrolled into view until the pane moves
/// to another version (which changes the text) or closes.
extension Editor {
    /// Opens the find prompt over the pane.
    mutating func askPaneFind() {
        mode = .prompt(Prompt(label: queryLabel("Find in this version"), input: []))
    }

    /// Moves the pane's highlight to the next (or previous) match of the last
    /// search in the shown text, from the current highlight (or the top),
    /// wrapping. O(shown text) plus the search.
    mutating func paneFindAgain(forward: Bool) {
        guard var p = pane else { return }
        guard !lastSearch.isEmpty else { message = "No search yet: Ctrl-F to find"; return }
        let q: SearchQuery
        do { q = try searchQuery(lastSearch) } catch { message = error.description; return }
        let s = p.view.shownScalars
        let shown = String(String.UnicodeScalarView(lastSearch))
        var hit: SearchQuery.Match?
        var wrapped = false
        if forward {
            let from = p.view.highlight.map { $0.lowerBound + 1 } ?? 0
            hit = q.first(in: s, from: from, before: Int.max)
            if hit == nil, from > 0 { hit = q.first(in: s, from: 0, before: from); wrapped = hit != nil }
        } else {
            let before = p.view.highlight?.lowerBound ?? s.count + 1
            hit = q.last(in: s, from: 0, before: before)
            if hit == nil { hit = q.last(in: s, from: max(0, before), before: s.count + 1); wrapped = hit != nil }
        }
        guard let hit else {
            p.view.highlight = nil
            pane = p
            message = "\"\(shown)\" not found in the version after edit \(p.view.scrubber.position)"
            return
        }
        p.view.highlight = hit.range.isEmpty ? hit.range.lowerBound ..< hit.range.lowerBound + 1 : hit.range
        pane = p
        message = wrapped ? "Search wrapped" : nil
    }
}
