/// Cursor motion. The cursor moves over whole characters: a base scalar and
/// the zero-width scalars (combining marks, ZWJ, variation selectors) after it.
extension Editor {
    /// The boundary after `i`: past one scalar and the zero-width ones joined to
    /// it. O(cluster).
    func nextBoundary(_ i: Int) -> Int {
        let s = doc.buffer.scalars
        guard i < s.count else { return s.count }
        var j = i + 1
        while j < s.count, s[j] != "\n", CharWidth.isZeroWidth(s[j]) { j += 1 }
        return j
    }

    /// The boundary before `i`. O(cluster).
    func previousBoundary(_ i: Int) -> Int {
        let s = doc.buffer.scalars
        guard i > 0 else { return 0 }
        var j = i - 1
        while j > 0, CharWidth.isZeroWidth(s[j]), s[j - 1] != "\n" { j -= 1 }
        return j
    }

    static func isWord(_ s: Unicode.Scalar) -> Bool {
        s == "_" || s.properties.isAlphabetic || s.properties.numericType != nil
    }

    /// Start of the next word (Ctrl-Right): past the rest of this word, then
    /// past what separates words. O(distance).
    func nextWordStart(_ i: Int) -> Int {
        let s = doc.buffer.scalars
        var j = i
        while j < s.count, Self.isWord(s[j]) { j += 1 }
        while j < s.count, !Self.isWord(s[j]) { j += 1 }
        return j
    }

    /// Start of this or the previous word (Ctrl-Left). O(distance).
    func previousWordStart(_ i: Int) -> Int {
        let s = doc.buffer.scalars
        var j = i
        while j > 0, !Self.isWord(s[j - 1]) { j -= 1 }
        while j > 0, Self.isWord(s[j - 1]) { j -= 1 }
        return j
    }

    /// Moves the cursor `rows` visual rows down (negative: up), aiming for the
    /// goal column. At the first/last row it goes to the start/end of the text.
    /// O(|rows| × line length).
    mutating func moveVertically(_ rows: Int) {
        var walk = RowWalk()
        let (line, row, x) = cursorPlace(&walk)
        let goal = goalX ?? x
        var t = ViewTop(line: line, row: row)
        var moved = 0
        while moved < abs(rows) {
            guard let next = rows > 0 ? rowAfter(t, &walk) : rowBefore(t, &walk) else {
                setCursor(rows > 0 ? doc.buffer.count : 0)
                return
            }
            t = next
            moved += 1
        }
        let offset = walk.layout(t.line, self).offset(row: t.row, x: goal)
        setCursor(doc.buffer.lineStarts[t.line] + offset)
        goalX = goal
    }

    /// Moves the cursor to the character shown at screen cell (x, y); a click
    /// below the text goes to its end. O(textHeight × line length).
    mutating func click(x: Int, y: Int) {
        guard y >= 0, y < textHeight else { return }
        var t = top, walk = RowWalk()
        for _ in 0 ..< y {
            guard let next = rowAfter(t, &walk) else { setCursor(doc.buffer.count); return }
            t = next
        }
        let col = max(0, x - gutterWidth) + (softWrap ? 0 : leftColumn)
        setCursor(doc.buffer.lineStarts[t.line] + walk.layout(t.line, self).offset(row: t.row, x: col))
    }

    /// Home: the start of the line. End: its end.
    var lineStart: Int { doc.buffer.lineRange(doc.buffer.line(of: doc.cursor)).lowerBound }
    var lineEnd: Int { doc.buffer.lineRange(doc.buffer.line(of: doc.cursor)).upperBound }
}
