import WeaveEditor

/// Lays the demo's screen out: a banner row, the panes side by side separated
/// by a rule, and (when open) the time-travel pane across the bottom. Pure.
public enum DemoView {
    public static func paneSize(total: Editor.Size, panes: Int, historyOpen: Bool) -> Editor.Size {
        let width = max(10, (total.width - (panes - 1)) / panes)
        let height = max(4, (historyOpen ? (total.height - 1) / 2 : total.height - 1))
        return Editor.Size(width: width, height: height)
    }

    /// The whole screen. `focus` is the pane the viewer took over (its cursor is shown).
    public static func render(banner: String, panes: [Editor], history: TimeTravelView?, focus: Int?,
                              size: Editor.Size) -> Grid {
        var grid = Grid(width: size.width, height: size.height)
        grid.setAttributes(.reverse, row: 0)
        grid.write(" " + banner, x: 0, y: 0, attributes: .reverse)
        let ps = paneSize(total: size, panes: panes.count, historyOpen: history != nil)
        for (i, editor) in panes.enumerated() {
            let x0 = i * (ps.width + 1)
            let g = editor.render(size: ps)
            for y in 0 ..< min(ps.height, g.height) {
                for x in 0 ..< min(ps.width, g.width) where x0 + x < size.width {
                    grid.rows[1 + y][x0 + x] = g.rows[y][x]
                }
            }
            if i > 0 { for y in 1 ..< 1 + ps.height { grid.put(Grid.Cell("│", attributes: .dim), x: x0 - 1, y: y) } }
            if focus == i, let c = g.cursor { grid.cursor = (x0 + c.x, 1 + c.y) }
        }
        if let history {
            let top = 1 + ps.height
            history.render(into: &grid, top: top, height: size.height - top)
        }
        return grid
    }
}
