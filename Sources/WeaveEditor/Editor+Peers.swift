import WeaveCore

/// Presence on screen: other peers' cursors, their names on the status line,
/// and the peer list (F4/Ctrl-P in a `weave host`/`weave join` session; its
/// model and columns: PeerList.swift, PeerList+Layout.swift). The session
/// (WeaveSession's `PeerLink`) fills these in from network events; the
/// model only draws them.

/// Another peer's cursor, held by element ID so it stays on its character
/// whatever anyone inserts or deletes elsewhere.
public struct RemoteCursor: Sendable, Equatable {
    public var name: String
    public var colour: Grid.Colour
    /// The element just before the cursor; nil at the document start (the
    /// convention of `WeavePeer.Presence`).
    public var after: ElementID?
    /// Whose cursor (to jump to or follow it); nil when not known.
    public var replica: ReplicaID?
    /// The peer's selection, when it has one: its other end, in the same
    /// convention as `after` (the element just before it; nil: the start).
    public var hasSelection = false
    public var selectionEnd: ElementID?

    public init(name: String, colour: Grid.Colour, after: ElementID?, replica: ReplicaID? = nil,
                selection: (ElementID?)? = nil) {
        self.name = name
        self.colour = colour
        self.after = after
        self.replica = replica
        if let end = selection { hasSelection = true; selectionEnd = end }
    }

    /// The selected text's visible range in `rga`; nil without a selection, an
    /// empty one, or ends not known here. O(log s).
    public func selectionRange(in rga: RGA) -> Range<Int>? {
        guard hasSelection, let a = index(in: rga), let b = rga.cursorIndex(after: selectionEnd), a != b else { return nil }
        return min(a, b) ..< max(a, b)
    }

    /// The cursor's visible index in `rga`: just after `after` (after the
    /// first visible element following it when it was deleted), 0 at the start,
    /// nil when the element is not known here yet. O(log s).
    public func index(in rga: RGA) -> Int? { rga.cursorIndex(after: after) }
}

/// A name in colour on the status line.
public struct PeerBadge: Sendable, Equatable {
    public var name: String
    public var colour: Grid.Colour
    public init(name: String, colour: Grid.Colour) { self.name = name; self.colour = colour }
}

extension Editor {
    /// Draws each remote cursor that is on screen: its cell in reverse video in
    /// the peer's colour, and the name after the end of that screen row (never
    /// over text). O(cursors × line length + textHeight).
    func drawRemoteCursors(_ grid: inout Grid) {
        guard !remoteCursors.isEmpty else { return }
        // Screen row of every visual row shown.
        var rowsShown: [VisualRow: Int] = [:]
        var t: ViewTop? = top, walk = RowWalk()
        for y in 0 ..< textHeight {
            guard let row = t else { break }
            rowsShown[VisualRow(line: row.line, row: row.row)] = y
            t = rowAfter(row, &walk)
        }
        let gutter = gutterWidth, shift = softWrap ? 0 : leftColumn
        var labelEnd: [Int: Int] = [:]  // y -> first free column for a label
        for c in remoteCursors {
            guard let index = c.index(in: doc.rga), index <= doc.buffer.count else { continue }
            let line = doc.buffer.line(of: index)
            let lay = walk.layout(line, self)
            let p = lay.position(of: index - doc.buffer.lineStarts[line])
            guard let y = rowsShown[VisualRow(line: line, row: p.row)] else { continue }
            let x = p.x - shift
            guard x >= 0, x < textWidth else { continue }
            var cell = grid.rows[y][gutter + x]
            if cell.isContinuation { continue }
            if cell.text.isEmpty { cell.text = " " }
            cell.attributes.insert(.reverse)
            cell.colour = c.colour.rawValue
            grid.rows[y][gutter + x] = cell
            // The label goes after the row's last character.
            let r = lay.range(ofRow: p.row)
            let rowEnd = r.isEmpty ? 0 : (r.upperBound - 1 < lay.count ? lay.columns[r.upperBound - 1] + lay.widths[r.upperBound - 1] : 0)
            let start = max(labelEnd[y] ?? 0, rowEnd - shift + 1, x + 2)
            if gutter + start + c.name.count <= size.width {
                let end = grid.write(c.name, x: gutter + start, y: y, attributes: .bold, colour: c.colour)
                labelEnd[y] = end - gutter + 1
            }
        }
    }

    /// Draws the peer list over the text rows (its lines: `PeerList.screen`).
    func drawPeerList(_ grid: inout Grid, _ list: PeerList) {
        let screen = peerListScreen(list)
        for y in 0 ..< textHeight {
            grid.rows[y] = Array(repeating: .blank, count: size.width)
            guard y < screen.lines.count else { continue }
            let l = screen.lines[y]
            let attributes: Grid.Attributes
            switch l.style {
            case .title: attributes = .bold
            case .labels: attributes = .dim
            default: attributes = []
            }
            grid.write(l.text, x: 0, y: y, attributes: attributes)
            if l.nameWidth > 0 {
                for x in 0 ..< min(l.nameWidth, size.width) { grid.rows[y][x].colour = l.colour.rawValue; grid.rows[y][x].attributes.insert(.bold) }
            }
            if l.style == .selectedRow { grid.setAttributes(.reverse, row: y) }
        }
        grid.cursor = nil
    }

    /// The peer list as drawn on this screen (its rows in the text rows).
    func peerListScreen(_ list: PeerList) -> PeerList.Screen {
        list.screen(width: size.width, height: textHeight)
    }

    /// The shown peer list as drawn: which row is on which screen line, how
    /// many rows fit (for the mouse and the scrolling); nil when not shown.
    public var peerListScreen: PeerList.Screen? { peerList.map(peerListScreen) }
}
/// A visual row (line, row within it) as a dictionary key.
struct VisualRow: Hashable { var line: Int, row: Int }

extension Editor {
    /// Puts the cursor at visible index `index` (clamped) and scrolls it into
    /// view: going to or following a peer's cursor. O(log s).
    public mutating func moveCursor(to index: Int) {
        setCursor(index)
        followCursor()
    }
}

extension Editor {
    /// Every peer's selection on this replica's text, with the peer's colour
    /// (drawn underlined in that colour). O(cursors · log s).
    func peerSelections() -> [(range: Range<Int>, colour: UInt8)] {
        remoteCursors.compactMap { c in c.selectionRange(in: doc.rga).map { ($0, c.colour.rawValue) } }
    }
}
