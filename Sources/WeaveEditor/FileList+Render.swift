/// Drawing the file list over the text area (the status and message lines
/// stay below it).
///
///   Files (3 of 12)  ⏎ open  ^N new  ^R rename  ^D del  Esc close   title (from 3 rows)
///     notes/                                                        a folder: shown once, not selectable
///   *   todo.txt  ● bob                                             the current file: `*`, bold
///       ideas.md  ● alice ● carol                                   peers in their colours
///     readme.txt                                                    the selection: reverse video
///   Filter: no                                                      filter / rename prompt / question
///
/// Files are indented two cells per folder (less on a narrow screen, so that
/// a name keeps some room), after a two-cell marker column. Names too long for
/// the row end in "…"; peers that do not fit are left off whole. Nothing is
/// ever written outside the grid, whatever its size. O(width × rows shown).
extension Editor {
    func drawFileList(_ grid: inout Grid, _ list: FileList) {
        let height = fileListHeight, width = size.width
        guard height > 0, width > 0 else { return }
        var list = list
        list.follow(treeRows: fileListTreeRows)
        for y in 0 ..< height { grid.rows[y] = Array(repeating: .blank, count: width) }
        var y = 0
        if fileListHasTitle {
            drawFileListTitle(&grid, list, width: width)
            y = 1
        }
        let treeRows = fileListTreeRows
        if list.rows.isEmpty, treeRows > 0 {
            let text = list.filter.isEmpty ? "No files yet: type a path, then Enter creates it"
                : "Enter: create " + FileList.displayed(list.filterText)
            grid.write(FileList.cutEnd(text, width), x: 0, y: y, attributes: .dim)
        }
        for i in 0 ..< treeRows where list.scroll + i < list.rows.count {
            drawFileRow(&grid, list, list.rows[list.scroll + i], y: y + i, width: width)
        }
        drawFileListPrompt(&grid, list, y: height - 1, width: width)
    }

    private func drawFileListTitle(_ grid: inout Grid, _ list: FileList, width: Int) {
        let n = list.entries.count
        let head = list.filter.isEmpty ? "Files (\(n))" : "Files (\(list.visible.count) of \(n))"
        let hints: [TimeTravelView.KeyHint]
        switch list.step {
        case .browsing where width > 80:
            hints = [.init("type to filter", rank: 6), .init("↑↓ select", rank: 5), .init("Enter open", rank: 0),
                     .init("^N new", rank: 1), .init("^R rename", rank: 2), .init("^D delete", rank: 3),
                     .init("Esc close", rank: 4)]
        case .browsing:
            hints = [.init("⏎ open", rank: 0), .init("^N new", rank: 1), .init("^R rename", rank: 2),
                     .init("^D del", rank: 3), .init("Esc close", rank: 4)]
        case .renaming:
            hints = [.init("Enter rename", rank: 0), .init("Esc cancel", rank: 1)]
        case .confirmingDelete:
            hints = [.init("y delete", rank: 0), .init("other keys keep it", rank: 1)]
        }
        let x = grid.write(FileList.cutEnd(head, width), x: 0, y: 0, attributes: .bold)
        let keys = TimeTravelView.fit(hints, width: width - x - 2)
        if !keys.isEmpty { grid.write(keys, x: x + 2, y: 0) }
    }

    private func drawFileRow(_ grid: inout Grid, _ list: FileList, _ row: FileList.Row, y: Int, width: Int) {
        var entry: FileListEntry?
        if case .file(let i) = row.kind { entry = list.entries[i] }
        let current = entry?.isCurrent == true
        let style: Grid.Attributes = current ? .bold : []
        if current { grid.write("*", x: 0, y: y, attributes: .bold) }
        let indent = min(2 * row.depth, max(0, width - 2 - 8))
        let name = FileList.displayed(row.name) + (entry == nil ? "/" : "")
        var x = grid.write(FileList.cutEnd(name, width - 2 - indent), x: 2 + indent, y: y, attributes: style)
        x += 1
        for peer in entry?.peers ?? [] {
            let badge = "● " + FileList.displayed(peer.name)
            let w = CharWidth.of(badge.unicodeScalars)
            guard x + 1 + w <= width else { break }
            x = grid.write(badge, x: x + 1, y: y, colour: peer.colour)
        }
        if let entry, entry.path == list.selected {
            for k in 0 ..< width { grid.rows[y][k].attributes.insert(.reverse) }
        }
    }

    private func drawFileListPrompt(_ grid: inout Grid, _ list: FileList, y: Int, width: Int) {
        let label: String, input: String
        switch list.step {
        case .browsing:
            (label, input) = ("Filter: ", list.filterText)
        case .renaming(_, let to):
            (label, input) = ("Rename to: ", String(String.UnicodeScalarView(to)))
        case .confirmingDelete(let path):
            let room = width - CharWidth.of("Delete ? (y/n) ".unicodeScalars)
            let end = grid.write("Delete \(FileList.cutStart(FileList.displayed(path), room))? (y/n) ", x: 0, y: y,
                                 attributes: .bold)
            grid.cursor = (max(0, min(width - 1, end)), y)
            return
        }
        let x = grid.write(label, x: 0, y: y, attributes: .bold)
        let room = width - x - 1  // a cell for the cursor
        let end = room > 0 ? grid.write(FileList.cutStart(FileList.displayed(input), room), x: x, y: y) : x
        grid.cursor = (max(0, min(width - 1, end)), y)
    }
}

extension FileList {
    /// `s` with control characters shown as "?" (a file name may hold any
    /// byte but "/" and NUL; the terminal must never receive them).
    static func displayed(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: CharWidth.isControl) else { return s }
        return String(String.UnicodeScalarView(s.unicodeScalars.map { CharWidth.isControl($0) ? "?" : $0 }))
    }

    /// `s` (no control characters) in at most `width` cells: whole, or its
    /// start and "…". Combining marks stay with their character. O(s).
    static func cutEnd(_ s: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        guard CharWidth.of(s.unicodeScalars) > width else { return s }
        var out = String.UnicodeScalarView(), used = 0
        for u in s.unicodeScalars {
            let w = CharWidth.of(u)
            if used + w > width - 1 { break }
            out.append(u)
            used += w
        }
        return String(out) + "…"
    }

    /// `s` (no control characters) in at most `width` cells: whole, or "…"
    /// and its end (the end of a path or of typed text matters most).
    /// Combining marks stay with their character. O(s).
    static func cutStart(_ s: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        guard CharWidth.of(s.unicodeScalars) > width else { return s }
        var kept: [Unicode.Scalar] = [], marks: [Unicode.Scalar] = [], used = 0
        for u in s.unicodeScalars.reversed() {
            let w = CharWidth.of(u)
            if w == 0 { marks.append(u); continue }
            if used + w > width - 1 { break }
            kept.append(contentsOf: marks)
            marks = []
            kept.append(u)
            used += w
        }
        return "…" + String(String.UnicodeScalarView(kept.reversed()))
    }
}
