/// The status line's text for a width: what matters most stays.
///
/// In full: ` NAME  [state]` on the left; `history  ● badges  link  Ln L, Col C `
/// on the right. When the width is short, parts go in this order, least
/// important first: peer badges, then the history status, then the file name
/// is shortened (its end kept: "…otes.txt"). The link state ("offline — 12
/// edits queued") and the position are never dropped while they fit at all;
/// below that the line is simply cut at the width.
struct StatusLayout: Equatable {
    var text: String
    /// Where each badge starts (columns), for colouring; empty when badges were dropped.
    var badgeColumns: [Int]

    static func fit(width: Int, name: String, state: String, history: String, badges: [String], link: String,
                    position: String, compactPosition: String) -> StatusLayout {
        func w(_ s: String) -> Int { CharWidth.of(s.unicodeScalars) }
        let historyText = history
        func build(name: String, history showHistory: Bool, badges showBadges: Bool) -> (String, [Int], Int) {
            let left = " \(name)  \(state)"
            var right = ""
            if showHistory, !historyText.isEmpty { right += historyText + "  " }
            var badgeOffsets: [Int] = []
            if showBadges, !badges.isEmpty {
                for b in badges {
                    badgeOffsets.append(w(right))
                    right += b + " "
                }
            }
            if !link.isEmpty { right += link + "  " } else if showBadges, !badges.isEmpty { right += " " }
            right += position + " "
            let gap = width - w(left) - w(right)
            let text = left + String(repeating: " ", count: max(1, gap)) + right
            let start = w(left) + max(1, gap)
            return (text, badgeOffsets.map { start + $0 }, gap)
        }
        // Most to least: everything; no badges; no history; a shorter name.
        for (h, b) in [(true, true), (true, false), (false, false)] {
            let (text, cols, gap) = build(name: name, history: h, badges: b)
            if gap >= 1 { return StatusLayout(text: text, badgeColumns: b ? cols : []) }
        }
        let (_, _, gap) = build(name: "", history: false, badges: false)
        let room = gap - 1  // columns left for the name
        if room >= 2 {
            let scalars = Array(name.unicodeScalars)
            var kept: [Unicode.Scalar] = []
            var used = 1  // the ellipsis
            for c in scalars.reversed() {
                let cw = CharWidth.of(c)
                if used + cw > room { break }
                kept.insert(c, at: 0)
                used += cw
            }
            let short = kept.count == scalars.count ? name : "…" + String(String.UnicodeScalarView(kept))
            let (text, _, g) = build(name: short, history: false, badges: false)
            if g >= 1 { return StatusLayout(text: text, badgeColumns: []) }
        }
        // Too narrow for all that matters: state, link and the position as
        // LINE:COLUMN (`compactPosition`), cut at the width.
        return StatusLayout(text: " \(state) \(link.isEmpty ? "" : link + " ")\(compactPosition)", badgeColumns: [])
    }
}
