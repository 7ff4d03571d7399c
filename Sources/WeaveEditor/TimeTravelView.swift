import WeaveCore
import WeaveHistory

/// The time-travel pane as a pure model: a timeline, the scrubber over it and
/// the display toggles. `render(into:top:height:)` draws it into a region of a
/// Grid; the editor decides where the region is.
public struct TimeTravelView: Sendable {
    public private(set) var timeline: Timeline
    public var scrubber: Scrubber
    /// Colour every character by its author.
    public var blame = false
    /// A find match in the shown text (offsets into `shownScalars`): drawn
    /// in reverse yellow and scrolled into view (TimeTravel+Find.swift).
    public var highlight: Range<Int>?
    /// Author names and colours, by replica.
    public var authorColour: [ReplicaID: Grid.Colour] = [:]
    /// The key hints on the pane's last row, in the order shown (the editor's
    /// pane: `paneKeys(restore:)`; a host with other keys sets its own).
    public var keys: [KeyHint] = TimeTravelView.paneKeys(restore: true)

    /// One key hint ("b blame") and its rank: where the row is too narrow, the
    /// highest ranks are left off first, whole.
    public struct KeyHint: Sendable, Equatable {
        public var text: String
        public var rank: Int
        public init(_ text: String, rank: Int) { self.text = text; self.rank = rank }
    }

    /// The time-travel pane's keys; `restore`: whether `r` restores here (not in
    /// a read-only replay or a read-only editor).
    public static func paneKeys(restore: Bool) -> [KeyHint] {
        [KeyHint("←→ step", rank: 0), KeyHint("PgUp/Dn 1%", rank: 8), KeyHint("[ ] burst", rank: 3),
         KeyHint("0-9⏎ go", rank: 2), KeyHint("Space play", rank: 1), KeyHint("+- speed", rank: 6),
         KeyHint("p pace", rank: 7), KeyHint("b blame", rank: 4), KeyHint("m mark", rank: 5)]
            + (restore ? [KeyHint("r restore", rank: 2)] : [])
    }

    /// `hints` joined by two spaces, leaving off the highest-ranked ones (the
    /// last of equal rank first) until the row fits `width` cells: never a hint
    /// cut in the middle. O(hints²).
    public static func fit(_ hints: [KeyHint], width: Int) -> String {
        var shown = hints
        func line() -> String { shown.map(\.text).joined(separator: "  ") }
        while !shown.isEmpty, CharWidth.of(line().unicodeScalars) > width {
            let worst = shown.indices.max { (shown[$0].rank, $0) < (shown[$1].rank, $1) }!
            shown.remove(at: worst)
        }
        return line()
    }

    public init(timeline: Timeline) {
        self.timeline = timeline
        scrubber = Scrubber(edits: timeline.editCount)
        for (i, a) in timeline.history.authors.keys.sorted().enumerated() {
            authorColour[a] = timeline.history.authors[a].map { Grid.Colour.author($0.colour) } ?? Grid.Colour.author(i)
        }
    }

    /// The timeline grew (edits arrived while the pane is open).
    public mutating func update(_ timeline: Timeline) {
        self.timeline = timeline
        scrubber.update(edits: timeline.editCount)
        for a in timeline.history.authors.keys where authorColour[a] == nil {
            authorColour[a] = Grid.Colour.author(timeline.history.authors[a]?.colour ?? authorColour.count)
        }
    }

    /// Draws the authors in `colours` (by replica) in the colours the rest of
    /// the screen gives them (peers' cursors and the status line), so blame,
    /// the activity strip and the peers share one palette. O(colours).
    public mutating func useColours(_ colours: [ReplicaID: Grid.Colour]) {
        for (replica, colour) in colours { authorColour[replica] = colour }
    }

    /// Blame's legend: each author who wrote something, by name, in the
    /// order of their replica IDs.
    var legend: [(name: String, colour: Grid.Colour)] {
        timeline.history.authors.keys.sorted().map { (timeline.history.name(of: $0), colour(of: $0)) }
    }

    func colour(of author: ReplicaID?) -> Grid.Colour {
        author.flatMap { authorColour[$0] } ?? .standard
    }

    /// How a character is drawn in the pane.
    enum Style: Equatable { case plain, inserted, deleted, author(Grid.Colour) }

    /// Draws the pane in rows `top ..< top + height` of `grid`: a title line, the
    /// scrubber, the per-author activity strip, the text at the position (the
    /// current step's insertions highlighted and its deletions in red; with a
    /// mark, the diff from it), and a key line. O(elements + width).
    public func render(into grid: inout Grid, top: Int, height: Int) {
        let w = grid.width
        guard height >= 5, w >= 20 else { return }
        let t = timeline, s = scrubber
        let n = s.position
        // Title.
        var title = " Time travel  \(n)/\(t.editCount)"
        if n > 0 {
            let e = t.history.edits[n - 1]
            title += "  " + (e.author.map { t.history.name(of: $0) } ?? "?")
            if t.concurrent[n - 1] { title += "  ⑂ concurrent" }
        }
        if s.playing { title += "  ▶ " + (s.recordedPace ? "recorded pace ×\(formatSpeed(s.speed / 20))" : "\(formatSpeed(s.speed))/s") }
        if !s.typedNumber.isEmpty { title += "  go to: \(s.typedNumber)" }
        if let m = s.mark { title += "  diff from \(m)" }
        if blame { title += "  blame:" }
        grid.setAttributes(.reverse, row: top)
        var x = grid.write(title, x: 0, y: top, attributes: .reverse)
        if blame {
            // The legend: every author's name in the colour blame draws them in.
            for a in legend where x < w {
                x = grid.write(" ", x: x, y: top, attributes: .reverse)
                x = grid.write(a.name, x: x, y: top, attributes: .reverse, colour: a.colour)
            }
        }
        // Scrubber bar.
        let bar = top + 1
        let knob = t.editCount == 0 ? 0 : n * (w - 1) / t.editCount
        for x in 0 ..< w { grid.put(Grid.Cell(x < knob ? "━" : "─", attributes: .dim), x: x, y: bar) }
        if let m = s.mark, t.editCount > 0 { grid.put(Grid.Cell("┃", colour: Grid.Colour.yellow.rawValue), x: m * (w - 1) / t.editCount, y: bar) }
        grid.put(Grid.Cell("●", attributes: .bold), x: knob, y: bar)
        // Activity strip: each column, the author with most edits in its share of the timeline.
        let strip = top + 2
        if t.editCount > 0 {
            for x in 0 ..< w {
                let lo = x * t.editCount / w, hi = max(lo + 1, (x + 1) * t.editCount / w)
                var counts: [ReplicaID: Int] = [:]
                var any = false
                for k in lo ..< min(hi, t.editCount) {
                    if let a = t.history.edits[k].author { counts[a, default: 0] += 1; any = true }
                }
                let top1 = counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key
                let concurrentHere = (lo ..< min(hi, t.editCount)).contains { t.concurrent[$0] }
                grid.put(Grid.Cell(any ? (concurrentHere ? "▓" : "█") : " ", colour: colour(of: top1).rawValue), x: x, y: strip)
            }
        }
        // Text.
        let textTop = top + 3, textHeight = height - 4
        renderText(into: &grid, top: textTop, height: textHeight)
        // Keys.
        grid.write(Self.fit(keys, width: w), x: 0, y: top + height - 1, attributes: .dim)
    }

    private func formatSpeed(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(x)
    }

    /// The characters to show with their styles, in document order.
    func styledText() -> [(Unicode.Scalar, Style)] {
        let t = timeline, n = scrubber.position
        var out: [(Unicode.Scalar, Style)] = []
        out.reserveCapacity(t.scalars.count / 2)
        let step = Int32(n - 1)
        if let m = scrubber.mark, m != n {
            for i in 0 ..< t.scalars.count {
                let a = t.isVisible(i, after: m), b = t.isVisible(i, after: n)
                if a && b { out.append((t.scalars[i], blame ? .author(colour(of: t.authors[Int(t.authorIndex[i])])) : .plain)) }
                else if b { out.append((t.scalars[i], .inserted)) }
                else if a { out.append((t.scalars[i], .deleted)) }
            }
            return out
        }
        for i in 0 ..< t.scalars.count {
            if t.isVisible(i, after: n) {
                let style: Style = t.insertedIn[i] == step ? .inserted
                    : blame ? .author(colour(of: t.authors[Int(t.authorIndex[i])])) : .plain
                out.append((t.scalars[i], style))
            } else if n > 0 && t.deletedIn[i] == step {
                out.append((t.scalars[i], .deleted))
            }
        }
        return out
    }

    /// The characters the pane shows, in order (what find searches). O(elements).
    public var shownScalars: [Unicode.Scalar] { styledText().map(\.0) }

    /// Lays the styled text out in soft-wrapped rows, scrolled so the find
    /// match (else the first changed character) is in view, and draws it.
    private func renderText(into grid: inout Grid, top: Int, height: Int) {
        guard height > 0 else { return }
        let w = grid.width
        let text = styledText()
        // Rows: (start index in text, end index) after wrapping at w cells.
        var rows: [Range<Int>] = []
        var start = 0, x = 0
        var focusRow = -1
        for (i, (ch, style)) in text.enumerated() {
            if let h = highlight {
                if i == h.lowerBound { focusRow = rows.count }
            } else if focusRow < 0 && (style == .inserted || style == .deleted) { focusRow = rows.count }
            if ch == "\n" {
                rows.append(start ..< i)
                start = i + 1; x = 0
                continue
            }
            let cw = ch == "\t" ? 4 : max(CharWidth.of(ch), 0)
            if x + cw > w {
                rows.append(start ..< i)
                start = i; x = 0
            }
            x += cw
        }
        rows.append(start ..< text.count)
        let first = focusRow < 0 ? max(0, rows.count - height) : max(0, min(focusRow - height / 2, rows.count - height))
        for (r, range) in rows.dropFirst(first).prefix(height).enumerated() {
            var cx = 0
            for i in range {
                let (ch, style) = text[i]
                var attributes: Grid.Attributes = []
                var col: Grid.Colour = .standard
                switch style {
                case .plain: break
                case .inserted: attributes = .reverse; col = .green
                case .deleted: attributes = .underline; col = .red
                case .author(let c): col = c
                }
                if let h = highlight, h.contains(i) { attributes = .reverse; col = .yellow }
                if ch == "\t" {
                    for _ in 0 ..< 4 { grid.put(Grid.Cell(" ", attributes: attributes, colour: col.rawValue), x: cx, y: top + r); cx += 1 }
                    continue
                }
                let cw = CharWidth.of(ch)
                if cw == 0 { continue }
                grid.put(Grid.Cell(String(ch), width: cw, attributes: attributes, colour: col.rawValue), x: cx, y: top + r)
                cx += cw
            }
        }
    }
}
