/// How one line of text lies on screen: which scalars go on which visual row
/// and at which column, with tabs expanded, wide characters (2 cells),
/// combining marks (0 cells, joined to the cell before) and control characters
/// shown as `^X` (2 cells).
///
/// With soft wrap, a row breaks before a scalar that would cross `width` (a
/// wide character never straddles two rows), and a line that exactly fills its
/// last row gets an extra empty row so the cursor after it has a place.
/// Without soft wrap a line is one row, as wide as it needs.
///
/// Cost: O(k) to build for a line of k scalars; lookups O(log rows) or O(row).
public struct LineLayout: Sendable, Equatable {
    /// Offset (in the line's scalars) of each row's first scalar; `[0]` at least.
    public private(set) var rowStarts: [Int] = [0]
    /// Column of each scalar within its row, plus one entry past the end (where
    /// the cursor after the last scalar goes). Zero-width scalars share the
    /// column of the scalar they join.
    public private(set) var columns: [Int] = []
    /// Cells each scalar takes (tabs: their expansion; zero-width: 0).
    public private(set) var widths: [Int] = []
    /// Number of scalars in the line.
    public let count: Int

    /// Lays out `line` (no newline in it). `width` nil: no wrapping.
    /// Precondition: `width` is nil or ≥ 2; `tabWidth` ≥ 1.
    public init<C: Collection>(_ line: C, width: Int?, tabWidth: Int = 8) where C.Element == Unicode.Scalar {
        count = line.count
        columns.reserveCapacity(count + 1)
        widths.reserveCapacity(count)
        var x = 0, lastX = 0
        for (i, s) in line.enumerated() {
            var w: Int
            if s == "\t" {
                w = tabWidth - x % tabWidth
                if let width, x + w > width { w = max(1, width - x) }
            } else if CharWidth.isControl(s) {
                w = 2
            } else {
                w = CharWidth.of(s)
            }
            if w == 0 {
                columns.append(i == 0 ? x : lastX)
                widths.append(0)
                continue
            }
            if let width, x + w > width, x > 0 {
                rowStarts.append(i)
                x = 0
                if s == "\t" { w = min(tabWidth, width) }
            }
            columns.append(x)
            widths.append(w)
            lastX = x
            x += w
        }
        if let width, x >= width, count > 0 {
            rowStarts.append(count)
            x = 0
        }
        columns.append(x)
    }

    public var rowCount: Int { rowStarts.count }

    /// The row holding offset `i` (0...count). O(log rows).
    public func row(of i: Int) -> Int {
        var lo = 0, hi = rowStarts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if rowStarts[mid] <= i { lo = mid + 1 } else { hi = mid }
        }
        return lo - 1
    }

    /// The offsets on row `r`: `rowStarts[r] ..< next row start` (or `count`).
    public func range(ofRow r: Int) -> Range<Int> {
        rowStarts[r] ..< (r + 1 < rowStarts.count ? rowStarts[r + 1] : count)
    }

    /// Where the cursor at offset `i` stands: (row, column). O(log rows).
    public func position(of i: Int) -> (row: Int, x: Int) {
        (row(of: i), columns[i])
    }

    /// The cursor offset on row `r` nearest column `x`: the scalar covering `x`,
    /// or the row's end (the line end on the last row, the last scalar of a
    /// wrapped row). Never lands on a zero-width scalar. O(row length).
    public func offset(row r: Int, x: Int) -> Int {
        let rng = range(ofRow: r)
        for i in rng where widths[i] > 0 && columns[i] + widths[i] > x { return i }
        if r + 1 < rowStarts.count {
            // A wrapped row: stay on it, on its last visible scalar.
            var i = rng.upperBound - 1
            while i > rng.lowerBound && widths[i] == 0 { i -= 1 }
            return max(rng.lowerBound, i)
        }
        return count
    }
}
