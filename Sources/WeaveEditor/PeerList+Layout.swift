/// The peer list's columns at a given width (issue 33): pure, for the
/// drawing and the tests.
///
/// Columns, in screen order: name, state, file (only when some peer reports
/// one), rtt, heard, queued, unacked, behind, address. Every column is as wide
/// as its widest cell (the figures at least as wide as their label, rtt and
/// heard at least 7 cells so that they do not jump every second), one space
/// apart, two before the address. When they do not fit, in order: the file
/// column narrows to 8 cells (a path keeps its end, "…/notes.txt"); then
/// columns give way, least useful first (`dropOrder`) until the longest address
/// (at most 22 cells) fits; then the name narrows; the address column takes
/// what is left. An address is never cut: one longer than its column shows
/// as "…". Whatever the table hides of the selected row (dropped figures, a
/// long address, a cut name or path) is said on a detail line under the rows.
///
/// At 80 columns a 13-cell name, any state, and a loopback address with its
/// port ("127.0.0.1:46476") fit with every figure.
extension PeerList {
    /// A column of the list, in screen order.
    enum Column: Int, CaseIterable, Sendable {
        case name, state, file, rtt, heard, queued, unacked, behind, address

        var label: String {
            switch self {
            case .name: return "name"
            case .state: return "state"
            case .file: return "file"
            case .rtt: return "rtt"
            case .heard: return "heard"
            case .queued: return "queued"
            case .unacked: return "unacked"
            case .behind: return "behind"
            case .address: return "address"
            }
        }

        /// Figures are right-aligned; names, states, paths and addresses left.
        var rightAligned: Bool { [.rtt, .heard, .queued, .unacked, .behind].contains(self) }

        /// The fewest cells it takes (its label, or a figure that changes every second).
        var minimumWidth: Int {
            switch self {
            case .rtt, .heard: return 7
            default: return label.count
            }
        }
    }

    /// The columns that give way on a narrow screen, least useful first: the
    /// name and the address never do (an unnamed link is known by its address).
    static let dropOrder: [Column] = [.heard, .queued, .unacked, .rtt, .behind, .file, .state]

    /// The address width the dropping makes room for (an IPv4 address with
    /// its port is at most 21 cells); a longer address shows as "…" when it
    /// does not fit, whole on the detail line.
    static let addressRoom = 22
    /// The narrowest file column (a path keeps its end).
    static let fileMinimum = 8
    static let nameMaximum = 16

    /// One column on screen: its first cell and its width.
    struct Placed: Equatable, Sendable {
        var column: Column
        var x: Int
        var width: Int
    }

    /// Where each column goes at one width.
    struct Layout: Equatable, Sendable {
        /// The columns shown, in screen order.
        var columns: [Placed]
        /// The columns that gave way (said on the detail line), in `dropOrder`.
        var dropped: [Column]

        func placed(_ c: Column) -> Placed? { columns.first { $0.column == c } }
    }

    /// The text of `column` for `row`, before any cut.
    static func cell(_ column: Column, _ row: Row) -> String {
        switch column {
        case .name: return FileList.displayed(row.name)
        case .state: return FileList.displayed(row.state)
        case .file: return FileList.displayed(row.file ?? "—")
        case .rtt: return row.rttMilliseconds.map { $0 < 10 ? String(format1: $0) + " ms" : "\(Int($0.rounded())) ms" } ?? "—"
        case .heard: return row.lastHeardSeconds.map { $0 < 60 ? "\(Int($0))s ago" : "\(Int($0 / 60))m ago" } ?? "—"
        case .queued: return String(row.opsQueued)
        case .unacked: return String(row.unacknowledged)
        case .behind: return String(row.behind)
        case .address: return FileList.displayed(row.address)
        }
    }

    static func width(_ s: String) -> Int { CharWidth.of(s.unicodeScalars) }

    /// The columns at `width` cells. O(rows × columns).
    func layout(width: Int) -> Layout {
        let files = rows.contains { $0.file != nil }
        var shown = Column.allCases.filter { $0 != .file || files }
        var widths: [Column: Int] = [:]
        for c in shown {
            let longest = rows.map { Self.width(Self.cell(c, $0)) }.max() ?? 0
            widths[c] = max(c.minimumWidth, longest)
        }
        widths[.name] = min(widths[.name]!, Self.nameMaximum)
        let longestAddress = widths[.address]!
        // Everything but the address, with the separators before it.
        func others() -> Int {
            shown.filter { $0 != .address }.reduce(0) { $0 + widths[$1]! } + (shown.count - 2) + 2
        }
        var dropped: [Column] = []
        let wanted = min(longestAddress, Self.addressRoom)
        while others() + wanted > width {
            if let f = widths[.file], shown.contains(.file), f > Self.fileMinimum {
                widths[.file] = max(Self.fileMinimum, f - (others() + wanted - width))
                continue
            }
            guard let next = Self.dropOrder.first(where: shown.contains) else { break }
            shown.removeAll { $0 == next }
            dropped.append(next)
        }
        if others() + wanted > width {
            widths[.name] = max(1, widths[.name]! - (others() + wanted - width))
        }
        widths[.address] = min(longestAddress, width - others())
        if widths[.address]! < 1 { shown.removeAll { $0 == .address } }
        var x = 0
        var placed: [Placed] = []
        for c in shown {
            if !placed.isEmpty { x += c == .address ? 2 : 1 }
            placed.append(Placed(column: c, x: x, width: widths[c]!))
            x += widths[c]!
        }
        return Layout(columns: placed, dropped: dropped)
    }

    /// `s` placed in `p`'s cells: cut to fit (a name keeps its start, a path
    /// its end; an address is whole or "…"), then padded. The text's width is `p.width`.
    static func fit(_ s: String, _ p: Placed) -> String {
        var t = s
        if width(t) > p.width {
            switch p.column {
            case .file: t = FileList.cutStart(t, p.width)
            case .address: t = "…"
            default: t = FileList.cutEnd(t, p.width)
            }
        }
        let gap = String(repeating: " ", count: max(0, p.width - width(t)))
        return p.column.rightAligned ? gap + t : t + gap
    }

    /// One line of cells laid out by `layout` (trailing spaces dropped).
    static func line(_ layout: Layout, _ text: (Column) -> String) -> String {
        var out = ""
        var x = 0
        for p in layout.columns {
            out += String(repeating: " ", count: p.x - x) + fit(text(p.column), p)
            x = p.x + p.width
        }
        while out.hasSuffix(" ") { out.removeLast() }
        return out
    }

    /// What the table hides of `row` at `layout`, for the detail lines:
    /// nil when it hides nothing; else the row's full name and address
    /// ("bob:", "127.0.0.1:46476"), and as items its whole path when cut or
    /// dropped ("in notes/todo.txt") and each dropped figure ("heard 3s ago").
    static func hidden(_ row: Row, _ layout: Layout) -> (name: String, address: String, items: [String])? {
        func cut(_ c: Column) -> Bool { layout.placed(c).map { width(cell(c, row)) > $0.width } ?? false }
        let addressHidden = !row.address.isEmpty && (layout.placed(.address) == nil || cut(.address))
        guard cut(.name) || addressHidden || cut(.file) || !layout.dropped.isEmpty else { return nil }
        var items: [String] = []
        if cut(.file) || layout.dropped.contains(.file) { items.append("in " + cell(.file, row)) }
        for c in layout.dropped where c != .file { items.append("\(c.label) \(cell(c, row))") }
        return (cell(.name, row) + ":", cell(.address, row), items)
    }

    /// The detail lines of `row` at `width` cells: its name and address
    /// first ("bob: 127.0.0.1:46476"), on a line each when they do not fit
    /// together, then the hidden items, all joined by " · ". Nothing
    /// is cut but what is wider than the screen alone. Empty when the table
    /// hides nothing of the row.
    static func detail(_ row: Row, _ layout: Layout, width: Int) -> [String] {
        guard let h = hidden(row, layout) else { return [] }
        let head = h.address.isEmpty ? h.name : h.name + " " + h.address
        if Self.width(head) <= width { return wrap([head] + h.items, width: width) }
        return wrap([h.name], width: width) + (h.address.isEmpty ? [] : wrap([h.address], width: width)) + wrap(h.items, width: width)
    }

    /// `items` joined by " · " into lines of at most `width` cells, breaking
    /// between items; an item wider than the screen alone is cut by cells
    /// over as many lines as it takes.
    static func wrap(_ items: [String], width: Int) -> [String] {
        let w = max(1, width)
        var lines: [String] = []
        var current = ""
        for item in items {
            let joined = current.isEmpty ? item : current + " · " + item
            if Self.width(joined) <= w { current = joined; continue }
            if !current.isEmpty { lines.append(current) }
            current = ""
            var piece = String.UnicodeScalarView(), used = 0
            for u in item.unicodeScalars {
                let cw = CharWidth.of(u)
                if used + cw > w, used > 0 {
                    lines.append(String(piece))
                    piece = String.UnicodeScalarView()
                    used = 0
                }
                piece.append(u)
                used += cw
            }
            current = String(piece)
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// The title line: this side, the rows shown when not all fit, and the
    /// keys when they fit too.
    static func titleLine(_ title: String, window: String, width: Int) -> String {
        let head = "Peers — \(FileList.displayed(title))" + window
        let keys = "   (↑↓ Enter go to, f follow, Esc closes)"
        if Self.width(head + keys) <= width { return head + keys }
        return FileList.cutEnd(head, width)
    }

    /// The lines of the list as text with the colour of each name (pure, for
    /// rendering and tests), for an 80-column screen.
    public var lines: [(text: String, colour: Grid.Colour, nameWidth: Int)] { lines(width: 80) }

    /// The lines of the list for a screen `width` cells wide, every row
    /// shown: the title, the column labels, one line per row, then the
    /// selected row's detail line(s) when the table hides some of it. Each
    /// line is at most `width` cells. O(rows × columns).
    public func lines(width: Int) -> [(text: String, colour: Grid.Colour, nameWidth: Int)] {
        var table = self
        table.footer = []
        return table.screen(width: width, height: .max).lines.map { ($0.text, $0.colour, $0.nameWidth) }
    }

    /// The list drawn in `height` lines of `width` cells.
    public struct Screen: Equatable, Sendable {
        public enum Style: Equatable, Sendable { case title, labels, row, selectedRow, plain }
        public struct Line: Equatable, Sendable {
            public var text: String
            public var colour: Grid.Colour
            /// Cells of the name at the start of a row (drawn bold in `colour`).
            public var nameWidth: Int
            public var style: Style
        }
        public var lines: [Line]
        /// The first row shown, and how many are.
        public var top: Int
        public var rowsShown: Int
        /// The screen line of row `top`.
        public var firstRowY = 2

        /// The row drawn on screen line `y`, or nil (a title, label, detail or footer line).
        public func row(atY y: Int) -> Int? {
            y >= firstRowY && y < firstRowY + rowsShown ? top + y - firstRowY : nil
        }
    }

    /// The list as drawn in `height` lines (the text rows) of `width` cells:
    /// the title and column labels; as many rows as fit from `top` (moved so
    /// the selected row is among them), keeping at least three rows (or all)
    /// before the footer; the selected row's detail lines; a blank line and
    /// the footer wrapped by characters (a join command is one long word).
    /// Lines past `height` are the caller's to cut (the footer's end).
    /// O(rows × columns + footer).
    public func screen(width: Int, height: Int) -> Screen {
        let layout = layout(width: width)
        let sel = selected.map { min(max(0, $0), rows.count - 1) }.flatMap { rows.isEmpty ? nil : $0 }
        let detail = sel.map { Self.detail(rows[$0], layout, width: width) } ?? []
        var footerLines: [String] = []
        if !footer.isEmpty {
            footerLines.append("")
            for f in footer {
                var rest = Substring(f)
                repeat {
                    let cut = rest.prefix(max(1, width))
                    footerLines.append(String(cut))
                    rest = rest.dropFirst(cut.count)
                } while !rest.isEmpty
            }
        }
        let room = height == .max ? Int.max : height - 2 - detail.count
        var shown = rows.count
        if room != .max {
            shown = min(rows.count, max(min(rows.count, 3), room - footerLines.count))
            shown = max(min(rows.count, 1), min(shown, room))
        }
        var first = top
        if let s = sel { first = min(max(first, s - shown + 1), s) }
        first = max(0, min(first, rows.count - shown))
        let window = shown < rows.count ? " · rows \(first + 1)–\(first + shown) of \(rows.count)" : ""

        typealias Line = Screen.Line
        var out = [Line(text: Self.titleLine(title, window: window, width: width), colour: .standard, nameWidth: 0, style: .title),
                   Line(text: Self.line(layout) { $0.label }, colour: .standard, nameWidth: 0, style: .labels)]
        if rows.isEmpty { out.append(Line(text: "(no peers yet)", colour: .standard, nameWidth: 0, style: .plain)) }
        for i in first ..< first + shown {
            let r = rows[i]
            let nameCell = layout.placed(.name).map { Self.fit(Self.cell(.name, r), $0) } ?? ""
            out.append(Line(text: Self.line(layout) { Self.cell($0, r) }, colour: r.colour,
                            nameWidth: Self.width(nameCell.trimmingTrailingSpaces()), style: i == sel ? .selectedRow : .row))
        }
        for d in detail { out.append(Line(text: d, colour: .standard, nameWidth: 0, style: .plain)) }
        for f in footerLines { out.append(Line(text: f, colour: .standard, nameWidth: 0, style: .plain)) }
        return Screen(lines: out, top: first, rowsShown: shown)
    }
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 v: Double) {
        let tenths = Int((v * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }

    fileprivate func trimmingTrailingSpaces() -> String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
