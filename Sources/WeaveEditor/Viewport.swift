/// Screen geometry and the viewport that follows the cursor.
///
/// The screen is the text area (all rows but the last two), the status line and
/// the message line. With line numbers on, a gutter takes the left columns.
extension Editor {
    /// Rows for text (at least 1).
    public var textHeight: Int { max(1, size.height - 2 - (paneSplits ? paneHeight : 0)) }

    /// Columns of the line-number gutter (0 when off): digits of the last line
    /// number (at least 3) plus a space.
    public var gutterWidth: Int {
        guard lineNumbers else { return 0 }
        return max(3, String(doc.buffer.lineCount).count) + 1
    }

    /// Columns for text (at least 2).
    public var textWidth: Int { max(2, size.width - gutterWidth) }

    /// Lays out line `i` for the current wrap mode and width. O(line length).
    public func layout(line i: Int) -> LineLayout {
        LineLayout(doc.buffer.lineScalars(i), width: softWrap ? textWidth : nil, tabWidth: tabWidth)
    }

    /// The cursor's line, visual row within it, and column. O(line length).
    func cursorPlace() -> (line: Int, row: Int, x: Int) {
        var walk = RowWalk()
        return cursorPlace(&walk)
    }

    /// `cursorPlace()`, the cursor's line laid out through `walk`.
    func cursorPlace(_ walk: inout RowWalk) -> (line: Int, row: Int, x: Int) {
        let line = doc.buffer.line(of: doc.cursor)
        let p = walk.layout(line, self).position(of: doc.cursor - doc.buffer.lineStarts[line])
        return (line, p.row, p.x)
    }

    /// The visual row after `t`, or nil at the last row of the document.
    func rowAfter(_ t: ViewTop) -> ViewTop? {
        var walk = RowWalk()
        return rowAfter(t, &walk)
    }

    /// `rowAfter(t)`, laying lines out through `walk`: a walk over the rows
    /// of one line lays it out once. O(1) when `walk` holds `t.line`.
    func rowAfter(_ t: ViewTop, _ walk: inout RowWalk) -> ViewTop? {
        if t.row + 1 < walk.layout(t.line, self).rowCount { return ViewTop(line: t.line, row: t.row + 1) }
        if t.line + 1 < doc.buffer.lineCount { return ViewTop(line: t.line + 1, row: 0) }
        return nil
    }

    /// The visual row before `t`, or nil at the first.
    func rowBefore(_ t: ViewTop) -> ViewTop? {
        var walk = RowWalk()
        return rowBefore(t, &walk)
    }

    /// `rowBefore(t)`, laying lines out through `walk`.
    func rowBefore(_ t: ViewTop, _ walk: inout RowWalk) -> ViewTop? {
        if t.row > 0 { return ViewTop(line: t.line, row: t.row - 1) }
        if t.line > 0 { return ViewTop(line: t.line - 1, row: walk.layout(t.line - 1, self).rowCount - 1) }
        return nil
    }

    /// Scrolls so the cursor is on screen, moving the view as little as
    /// possible. O(textHeight + length of the lines it passes): each line
    /// is laid out once (`RowWalk`).
    mutating func followCursor() {
        var walk = RowWalk()
        let (line, row, x) = cursorPlace(&walk)
        let here = ViewTop(line: line, row: row)
        // Keep `top` valid after edits and wrap changes.
        if top.line >= doc.buffer.lineCount { top = ViewTop(line: doc.buffer.lineCount - 1, row: 0) }
        top.row = min(top.row, walk.layout(top.line, self).rowCount - 1)
        if here < top {
            top = here
        } else {
            // Is the cursor within textHeight rows of top?
            var t = top, n = 0
            while t < here, n < textHeight, let next = rowAfter(t, &walk) { t = next; n += 1 }
            if n >= textHeight {
                t = here
                for _ in 0 ..< textHeight - 1 { if let prev = rowBefore(t, &walk) { t = prev } }
                top = t
            }
        }
        if softWrap {
            leftColumn = 0
        } else if x < leftColumn {
            // Back to the left: show the line from its start when the cursor fits
            // there, else with half a screen of context (never the cursor alone
            // at the left edge of an empty-looking line).
            leftColumn = x < textWidth - 1 ? 0 : max(0, x - textWidth / 2)
        } else if x >= leftColumn + textWidth - 1 {
            leftColumn = x - textWidth + 2
        }
    }

    /// Applies a new terminal size and keeps the cursor in view.
    mutating func resize(_ s: Size) {
        size = Size(width: max(1, s.width), height: max(1, s.height))
        followCursor()
        refreshSyntax()
        let rows = fileListTreeRows
        fileList?.follow(treeRows: rows)
    }
}

/// The line layouts one walk over visual rows has made, so that each line is
/// laid out once per walk: following the cursor on a 435,000-character line
/// (a minified file) laid it out for every screen row, about 150 ms a key in
/// a release build. Holds the last two lines (a walk moves a row at a time,
/// and `rowBefore` looks at the line above). Used within one call, while the
/// text does not change.
struct RowWalk {
    private var recent: [(line: Int, layout: LineLayout)] = []

    /// Line `line`'s layout in `editor`, made once. O(line length) the first time, O(1) after.
    mutating func layout(_ line: Int, _ editor: Editor) -> LineLayout {
        if let hit = recent.first(where: { $0.line == line }) { return hit.layout }
        let made = editor.layout(line: line)
        if recent.count == 2 { recent.removeFirst() }
        recent.append((line, made))
        return made
    }
}
