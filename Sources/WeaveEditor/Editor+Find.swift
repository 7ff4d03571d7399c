/// Find: a plain, case-sensitive search over the text view, forward or
/// backward from the cursor, wrapping around the ends.
extension Editor {
    /// The first match of `needle` starting in `from ..< count`, else (wrapping)
    /// in `0 ..< from`. O(n × needle).
    func findForward(_ needle: [Unicode.Scalar], from: Int) -> (index: Int, wrapped: Bool)? {
        let s = doc.buffer.scalars
        guard !needle.isEmpty, needle.count <= s.count else { return nil }
        let last = s.count - needle.count
        func matches(_ i: Int) -> Bool { s[i ..< i + needle.count].elementsEqual(needle) }
        var i = max(0, from)
        while i <= last { if matches(i) { return (i, false) }; i += 1 }
        i = 0
        while i < min(from, last + 1) { if matches(i) { return (i, true) }; i += 1 }
        return nil
    }

    /// The last match starting before `before`, else (wrapping) the last one
    /// from `before` on. O(n × needle).
    func findBackward(_ needle: [Unicode.Scalar], before: Int) -> (index: Int, wrapped: Bool)? {
        let s = doc.buffer.scalars
        guard !needle.isEmpty, needle.count <= s.count else { return nil }
        let last = s.count - needle.count
        func matches(_ i: Int) -> Bool { s[i ..< i + needle.count].elementsEqual(needle) }
        var i = min(before - 1, last)
        while i >= 0 { if matches(i) { return (i, false) }; i -= 1 }
        i = last
        while i >= max(0, before) { if matches(i) { return (i, true) }; i -= 1 }
        return nil
    }

    /// Moves to the next (or previous) match of the last search, with a message
    /// when it wrapped or found nothing.
    mutating func findAgain(forward: Bool) {
        guard !lastSearch.isEmpty else { message = "No search yet: Ctrl-F to find"; return }
        let hit = forward ? findForward(lastSearch, from: doc.cursor + 1)
                          : findBackward(lastSearch, before: doc.cursor)
        let shown = String(String.UnicodeScalarView(lastSearch))
        guard let hit else { message = "\"\(shown)\" not found"; return }
        setCursor(hit.index)
        message = hit.wrapped ? "Search wrapped" : nil
    }
}
