/// The mouse in the text: a click places the cursor, a drag selects from
/// where the button went down (a new selection: it replaces a sticky mark),
/// Shift+click extends the selection from the cursor (and a drag after it
/// goes on extending), a double click selects a word, a triple click a line
/// (with its newline), and a drag after either selects from the word's or
/// the line's start. A double or triple click off the text's rows does
/// nothing; a double click off a word is a click. The wheel scrolls three
/// rows a notch; the cursor stays on its character, and comes along only
/// when it would leave the screen (onto the first or last row shown, at its
/// goal column). The wheel also moves the file list's
/// selection and scrolls the help screen (Help.swift); a click on a file in
/// the file list opens it (Editor+FileList.swift). With `mouse` off every mouse event is
/// dropped (the host also stops asking the terminal for them, so that the
/// terminal's own selection works).
extension Editor {
    /// Handles the mouse events of edit mode but the plain click (which moves
    /// like any movement key); false for other keys. Never edits.
    mutating func handleMouse(_ key: Key) -> Bool {
        guard key.isMouse else { return false }
        guard mouse else { return true }
        switch key {
        case .click:
            return false  // the key map's click: a movement (it keeps a sticky mark)
        case .shift(.click(let x, let y)):
            undo.seal()
            if mark == nil { mark = anchorAt(doc.cursor); markSticky = false }
            click(x: x, y: y)
            dragOrigin = mark
        case .drag(let x, let y):
            guard let origin = dragOrigin else { return true }
            undo.seal()
            mark = origin
            markSticky = false
            if y >= textHeight {
                moveVertically(1)
            } else {
                click(x: x, y: max(0, y))
            }
        case .doubleClick(let x, let y):
            guard y >= 0, y < textHeight else { return true }
            undo.seal()
            click(x: x, y: y)
            let s = doc.buffer.scalars
            var a = doc.cursor, b = doc.cursor
            while a > 0, Self.isWordScalar(s[a - 1]) { a -= 1 }
            while b < s.count, Self.isWordScalar(s[b]) { b += 1 }
            guard a < b else {
                // Off a word: what the click it replaces would do.
                if !markSticky { mark = nil }
                dragOrigin = anchorAt(doc.cursor)
                return true
            }
            mark = anchorAt(a)
            markSticky = false
            dragOrigin = mark
            setCursor(b)
        case .tripleClick(let x, let y):
            guard y >= 0, y < textHeight else { return true }
            undo.seal()
            click(x: x, y: y)
            let line = doc.buffer.line(of: doc.cursor)
            let r = doc.buffer.lineRange(line)
            mark = anchorAt(r.lowerBound)
            markSticky = false
            dragOrigin = mark
            setCursor(r.upperBound < doc.buffer.count ? r.upperBound + 1 : r.upperBound)
        case .wheel(let rows):
            scrollRows(rows)
        default:
            break
        }
        return true
    }

    /// A letter, digit or underscore (what a double click selects).
    static func isWordScalar(_ u: Unicode.Scalar) -> Bool {
        u == "_" || u.properties.isAlphabetic || u.properties.numericType != nil
    }

    /// Moves the view `rows` rows (negative up; as far as there are rows),
    /// leaving the cursor on its character unless that left the screen: then
    /// the cursor moves onto the nearest row shown, aiming at its goal
    /// column as Up and Down do. O(rows × layout).
    mutating func scrollRows(_ rows: Int) {
        undo.seal()
        var t = top, walk = RowWalk()
        var moved = 0
        while moved < abs(rows), let n = rows > 0 ? rowAfter(t, &walk) : rowBefore(t, &walk) {
            t = n
            moved += 1
        }
        guard moved > 0 else { return }
        top = t
        let (line, row, _) = cursorPlace(&walk)
        var here = ViewTop(line: line, row: row)
        if here < top {
            var n = 0
            while here < top, let next = rowAfter(here, &walk) { here = next; n += 1 }
            moveVertically(n)
        } else {
            var n = 0
            while t < here, let next = rowAfter(t, &walk) { t = next; n += 1 }
            if n >= textHeight { moveVertically(textHeight - 1 - n) }
        }
    }
}
