import WeaveCore

/// Presence on screen: other peers' cursors, their names on the status line,
/// and the peer list (F4/Ctrl-P in a `weave host`/`weave join` session). The
/// host (WeaveTerminal's `PeerLink`) fills these in from network events; the
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

/// The peer list: one row per connection (or outbound link), sync health included.
public struct PeerList: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var name: String
        public var colour: Grid.Colour
        /// "connected", "connecting", "retrying", "offline", …
        public var state: String
        public var address: String
        public var rttMilliseconds: Double?
        public var lastHeardSeconds: Double?
        public var opsSent: Int
        public var opsReceived: Int
        public var opsQueued: Int
        /// Units sent to the peer and not acknowledged yet.
        public var unacknowledged: Int
        /// Units this side holds that the peer has not acknowledged (how far behind it is).
        public var behind: Int
        /// The peer's replica (for Enter and f); nil for a link not yet open.
        public var replica: ReplicaID?
        /// Which file of the workspace the peer is in (its path); nil when not
        /// known or not a workspace. When any row has one, the list shows a
        /// "file" column.
        public var file: String?

        public init(name: String, colour: Grid.Colour, state: String, address: String, rttMilliseconds: Double?,
                    lastHeardSeconds: Double?, opsSent: Int, opsReceived: Int, opsQueued: Int, replica: ReplicaID? = nil,
                    file: String? = nil, unacknowledged: Int = 0, behind: Int = 0) {
            self.unacknowledged = unacknowledged
            self.behind = behind
            self.replica = replica
            self.file = file
            self.name = name
            self.colour = colour
            self.state = state
            self.address = address
            self.rttMilliseconds = rttMilliseconds
            self.lastHeardSeconds = lastHeardSeconds
            self.opsSent = opsSent
            self.opsReceived = opsReceived
            self.opsQueued = opsQueued
        }
    }

    /// The first line: this peer and the link state ("me (online)").
    public var title: String
    public var rows: [Row]
    /// Lines under the rows (the host's join command), wrapped at the screen's width.
    public var footer: [String] = []

    /// The row ↑/↓ select (drawn in reverse video): Enter goes to that peer's cursor, f follows it.
    public var selected: Int?

    public init(title: String, rows: [Row], footer: [String] = [], selected: Int? = nil) {
        self.title = title; self.rows = rows; self.footer = footer; self.selected = selected
    }

    /// The lines of the list as text with the colour of each name (pure, for
    /// rendering and tests), for an 80-column screen.
    public var lines: [(text: String, colour: Grid.Colour, nameWidth: Int)] { lines(width: 80) }

    /// The lines of the list for a screen `width` cells wide. When a row has a
    /// `file`, a "file" column follows the state: as wide as the longest file
    /// (at least 10 cells, at most what leaves the other columns and 12 cells
    /// of address on screen), a longer path keeping its end ("…/notes.txt").
    /// Without files, the width changes nothing. O(rows).
    public func lines(width: Int) -> [(text: String, colour: Grid.Colour, nameWidth: Int)] {
        func pad(_ s: String, _ n: Int) -> String {
            let w = CharWidth.of(s.unicodeScalars)
            return w >= n ? s : s + String(repeating: " ", count: n - w)
        }
        func lpad(_ s: String, _ n: Int) -> String {
            s.count >= n ? s : String(repeating: " ", count: n - s.count) + s
        }
        let files = rows.contains { $0.file != nil }
        var fileColumn = 0
        if files {
            let longest = rows.map { CharWidth.of(FileList.displayed($0.file ?? "—").unicodeScalars) }.max() ?? 0
            fileColumn = max(10, min(longest + 2, width - 81))
        }
        func file(_ s: String) -> String { files ? pad(FileList.cutStart(FileList.displayed(s), fileColumn - 2), fileColumn) : "" }
        var out: [(String, Grid.Colour, Int)] = [("Peers — \(title)   (↑↓ Enter go to, f follow, Esc closes)", .standard, 0)]
        // Per peer: round trip, when last heard, and in units: waiting to be sent,
        // sent but not acknowledged, and how far behind this side it is (issue 35).
        out.append((pad("name", 14) + pad("state", 12) + file("file") + lpad("rtt", 9) + lpad("heard", 8) + lpad("to send", 8)
                    + lpad("unacked", 8) + lpad("behind", 8) + "  address", .standard, 0))
        if rows.isEmpty { out.append(("(no peers yet)", .standard, 0)) }
        for r in rows {
            let rtt = r.rttMilliseconds.map { $0 < 10 ? String(format1: $0) + " ms" : "\(Int($0.rounded())) ms" } ?? "—"
            let heard = r.lastHeardSeconds.map { $0 < 60 ? "\(Int($0))s ago" : "\(Int($0 / 60))m ago" } ?? "—"
            let name = String(r.name.prefix(13))
            out.append((pad(name, 14) + pad(r.state, 12) + file(r.file ?? "—") + lpad(rtt, 9) + lpad(heard, 8) + lpad(String(r.opsQueued), 8)
                        + lpad(String(r.unacknowledged), 8) + lpad(String(r.behind), 8) + "  " + r.address,
                        r.colour, CharWidth.of(name.unicodeScalars)))
        }
        return out
    }
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 v: Double) {
        let tenths = Int((v * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}

extension Editor {
    /// Draws each remote cursor that is on screen: its cell in reverse video in
    /// the peer's colour, and the name after the end of that screen row (never
    /// over text). O(cursors × line length + textHeight).
    func drawRemoteCursors(_ grid: inout Grid) {
        guard !remoteCursors.isEmpty else { return }
        // Screen row of every visual row shown.
        var rowsShown: [VisualRow: Int] = [:]
        var t: ViewTop? = top
        for y in 0 ..< textHeight {
            guard let row = t else { break }
            rowsShown[VisualRow(line: row.line, row: row.row)] = y
            t = rowAfter(row)
        }
        let gutter = gutterWidth, shift = softWrap ? 0 : leftColumn
        var labelEnd: [Int: Int] = [:]  // y -> first free column for a label
        for c in remoteCursors {
            guard let index = c.index(in: doc.rga), index <= doc.buffer.count else { continue }
            let line = doc.buffer.line(of: index)
            let lay = layout(line: line)
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

    /// Draws the peer list over the text rows.
    func drawPeerList(_ grid: inout Grid, _ list: PeerList) {
        var lines = list.lines(width: size.width)
        if !list.footer.isEmpty {
            lines.append(("", .standard, 0))
            for f in list.footer {
                // Wrapped by characters: a join command is one long word.
                var rest = Substring(f)
                repeat {
                    let cut = rest.prefix(max(1, size.width))
                    lines.append((String(cut), .standard, 0))
                    rest = rest.dropFirst(cut.count)
                } while !rest.isEmpty
            }
        }
        for y in 0 ..< textHeight {
            grid.rows[y] = Array(repeating: .blank, count: size.width)
            guard y < lines.count else { continue }
            let l = lines[y]
            grid.write(l.text, x: 0, y: y, attributes: y == 0 ? .bold : (y == 1 ? .dim : []))
            if l.nameWidth > 0 {
                for x in 0 ..< min(l.nameWidth, size.width) { grid.rows[y][x].colour = l.colour.rawValue; grid.rows[y][x].attributes.insert(.bold) }
            }
            if let s = list.selected, !list.rows.isEmpty, y == 2 + s { grid.setAttributes(.reverse, row: y) }
        }
        grid.cursor = nil
    }
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
