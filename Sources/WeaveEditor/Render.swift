import WeaveSyntax

/// `render`: the pure picture of an editor state, as a `Grid`.
///
/// Layout of the screen: text rows (with an optional line-number gutter), then
/// the status line (reverse video: file name, saved/modified, peers, line and
/// column), then the message line (a message, the find prompt, or a key hint).
/// The help screen, the peer list and the file list (FileList+Render.swift)
/// replace the text rows.

/// Renders `editor` on a screen of `size`. Pure: when `size` differs from the
/// editor's, the view is first fitted to the cursor on a copy.
/// O(width × height + visible line lengths).
public func render(_ editor: Editor, _ size: Editor.Size) -> Grid {
    editor.render(size: size)
}

extension Editor {
    /// Renders this state; see `render(_:_:)`.
    public func render(size: Size? = nil) -> Grid {
        var s = self
        if let size, size != self.size { s.resize(size) }
        s.refreshSyntax()  // nothing to do when the last key already lexed the screen
        return s.renderFitted()
    }

    private func renderFitted() -> Grid {
        var grid = Grid(width: size.width, height: size.height)
        if mode == .help {
            // Drawn after the status line (Help.swift): over the pane too.
        } else if let peerList {
            drawPeerList(&grid, peerList)
        } else if let fileList {
            drawFileList(&grid, fileList)
        } else {
            drawText(&grid)
            drawRemoteCursors(&grid)
        }
        drawStatus(&grid)
        if mode == .help {
            drawHelp(&grid)
        } else if let pane {
            let top = paneTop, height = min(paneHeight, size.height - 1 - top)
            for y in top ..< top + max(0, height) { grid.rows[y] = Array(repeating: .blank, count: size.width) }
            var view = pane.view
            view.keys = TimeTravelView.paneKeys(restore: canRestore)  // no "r restore" where it is refused
            view.useColours(peerColoursByReplica)  // blame in the colours the peers have on screen
            view.render(into: &grid, top: top, height: height)
            grid.cursor = nil
        }
        drawMessage(&grid)
        return grid
    }

    private func drawText(_ grid: inout Grid) {
        let gutter = gutterWidth, shift = softWrap ? 0 : leftColumn
        var walk = RowWalk()  // the cursor's line is laid out once for both
        let here = cursorPlace(&walk)
        let selected = selection ?? 0 ..< 0  // drawn in reverse video
        let found = currentMatch ?? 0 ..< 0  // the match: reverse video in yellow
        let matchColour = Grid.Colour.yellow.rawValue
        let peerSpans = peerSelections()  // underlined in the peer's colour
        var lineTokens: [Int: [Token]] = [:]  // lexed once, for the brackets and the colours
        func tokensOf(_ line: Int) -> [Token] {
            if let t = lineTokens[line] { return t }
            let t = syntaxTokens(line: line)
            lineTokens[line] = t
            return t
        }
        let brackets = bracketPair(tokens: tokensOf)  // bold and underlined
        var t: ViewTop? = top
        var cachedLine = -1
        var lay = LineLayout([], width: nil)
        var tokens: [Token] = []
        for y in 0 ..< textHeight {
            guard let row = t else { break }
            if row.line != cachedLine {
                lay = walk.layout(row.line, self)
                tokens = tokensOf(row.line)
                cachedLine = row.line
            }
            if gutter > 0, row.row == 0 {
                let n = String(row.line + 1)
                grid.write(String(repeating: " ", count: max(0, gutter - 1 - n.count)) + n, x: 0, y: y,
                           attributes: .dim)
            }
            let base = doc.buffer.lineStarts[row.line]
            let scalars = doc.buffer.scalars
            for i in lay.range(ofRow: row.row) {
                let w = lay.widths[i]
                guard w > 0 else { continue }
                let x = lay.columns[i] - shift
                if x >= textWidth { break }
                if x < 0 {
                    for k in 0 ..< max(0, x + w) { grid.put(.blank, x: gutter + k, y: y) }
                    continue
                }
                let u = scalars[base + i]
                let inMatch = found.contains(base + i)
                let inSelection = selected.contains(base + i) || inMatch
                let peer = inSelection || peerSpans.isEmpty ? nil : peerSpans.first { $0.range.contains(base + i) }
                let colour = inMatch ? matchColour
                    : peer?.colour ?? (inSelection || tokens.isEmpty ? 0 : Self.colour(at: i, tokens))
                var plain: Grid.Attributes = peer == nil ? [] : .underline
                if let brackets, base + i == brackets.0 || base + i == brackets.1 { plain = [.bold, .underline] }
                if u == "\t" {
                    let blank = inSelection ? Grid.Cell(" ", attributes: .reverse, colour: colour)
                        : peer != nil ? Grid.Cell(" ", attributes: .underline, colour: colour) : .blank
                    for k in 0 ..< w where x + k < textWidth { grid.put(blank, x: gutter + x + k, y: y) }
                } else if CharWidth.isControl(u) {
                    let shown = Unicode.Scalar(u.value < 0x80 ? u.value ^ 0x40 : 0x3F)!
                    grid.put(Grid.Cell("^", attributes: .reverse), x: gutter + x, y: y)
                    if x + 1 < textWidth { grid.put(Grid.Cell(String(shown), attributes: .reverse), x: gutter + x + 1, y: y) }
                } else {
                    var text = String(u)
                    var j = i + 1
                    while j < lay.count, lay.widths[j] == 0 {
                        text.unicodeScalars.append(scalars[base + j]); j += 1
                    }
                    if x + w > textWidth {
                        grid.put(.blank, x: gutter + x, y: y)  // a wide character cut by the edge
                    } else {
                        grid.put(Grid.Cell(text, width: w, attributes: inSelection ? .reverse : plain, colour: colour),
                                 x: gutter + x, y: y)
                    }
                }
            }
            if row.line == here.line, row.row == here.row {
                grid.cursor = (min(size.width - 1, gutter + here.x - shift), y)
            }
            // The next row (`rowAfter`, without laying the line out again).
            t = row.row + 1 < lay.rowCount ? ViewTop(line: row.line, row: row.row + 1)
                : row.line + 1 < doc.buffer.lineCount ? ViewTop(line: row.line + 1, row: 0) : nil
        }
    }

    /// The syntax colour of line offset `i`: the token holding it, found by
    /// binary search (O(log tokens)), or 0.
    static func colour(at i: Int, _ tokens: [Token]) -> UInt8 {
        var lo = 0, hi = tokens.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if tokens[mid].end <= i { lo = mid + 1 } else { hi = mid }
        }
        guard lo < tokens.count, tokens[lo].start <= i else { return 0 }
        return Grid.Syntax(tokens[lo].kind).rawValue
    }

    private func drawStatus(_ grid: inout Grid) {
        let y = textHeight
        guard y < size.height else { return }
        let (line, column) = lineAndColumn
        let layout = StatusLayout.fit(width: size.width, name: fileName.isEmpty ? "[no name]" : fileName,
                                      state: readOnly != nil ? "[read-only]" : arriving ? "[arriving]" : modified ? "[modified]" : "[saved]",
                                      history: historyStatus, badges: peerBadges.map(\.name), link: peersStatus,
                                      position: "Ln \(line + 1), Col \(column + 1)", compactPosition: "\(line + 1):\(column + 1)")
        grid.setAttributes(.reverse, row: y)
        grid.write(layout.text, x: 0, y: y, attributes: .reverse)
        // Peer names in their colours, where the layout put them.
        for (b, x0) in zip(peerBadges, layout.badgeColumns) {
            let w = CharWidth.of(b.name.unicodeScalars)
            for k in 0 ..< w where x0 + k < size.width { grid.rows[y][x0 + k].colour = b.colour.rawValue }
        }
    }

    private func drawMessage(_ grid: inout Grid) {
        let y = pane == nil ? textHeight + 1 : size.height - 1
        guard y < size.height else { return }
        if let question, mode == .edit {
            grid.setAttributes(.reverse, row: y)
            let end = grid.write(question, x: 0, y: y, attributes: .reverse)
            grid.cursor = (min(size.width - 1, end), y)
            return
        }
        if let pane, mode == .edit {
            if let message {
                grid.write(message, x: 0, y: y, attributes: .bold)
            } else {
                grid.write(pane.readOnly ? "Esc or Ctrl-Q quits the replay" : "Esc closes time travel", x: 0, y: y,
                           attributes: .dim)
            }
            return
        }
        switch mode {
        case .prompt(let p):
            let label = p.label + (p.searches ? searchBadge : "") + ": "
            let input = String(String.UnicodeScalarView(p.input))
            let x = grid.write(label, x: 0, y: y, attributes: .bold)
            let end = grid.write(input, x: x, y: y)
            if let note = p.note { grid.write("  " + note, x: end, y: y) }
            grid.cursor = (min(size.width - 1, end), y)
        case .help:
            grid.write(helpHint, x: 0, y: y, attributes: .dim)
        case .replacing:
            // The cursor stays on the highlighted match.
            grid.write(message ?? "Replace this? y yes, n no, a all, Esc stop", x: 0, y: y, attributes: .bold)
        case .edit:
            if let message {
                grid.write(message, x: 0, y: y, attributes: .bold)
            } else if fileList != nil {
                grid.write("Esc closes the file list  F1 help", x: 0, y: y, attributes: .dim)
            } else {
                grid.write(keyHint ?? "F1 help  ^S save  ^Q quit  ^F find  ^Z undo  ^K cut  ^U paste", x: 0, y: y,
                           attributes: .dim)
            }
        }
    }
}
